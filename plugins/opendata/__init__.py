"""The open-data plugin: a DCAT-AP catalogue, a records API and streamed exports."""
