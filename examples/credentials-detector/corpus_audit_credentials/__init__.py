"""An example corpus-audit detector plug-in: access tokens and private keys in post text."""
