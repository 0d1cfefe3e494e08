"""Identity: who is calling (a :class:`~bocage.core.auth.principal.Principal`), from a bearer
token issued by the built-in OAuth2 server or by an external OpenID Connect provider."""
