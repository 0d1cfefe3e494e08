"""The core's mutations: one ``input``, a payload with the object and typed ``errors``."""
