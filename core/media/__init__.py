"""Media: images and documents attached to objects (docs/media.md).

``files`` checks an upload and makes its variants (Pillow), ``storage`` keeps their bytes
(a folder by default, or a plugin's ``bocage_media_storage``), ``operations`` attaches,
describes and removes them through the unit of work, ``owners`` says who may do so for the
core's objects (plugins declare theirs with ``bocage_media_owners``), ``privacy`` answers the
GDPR for their uploaders.
"""
