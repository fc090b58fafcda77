"""The model layer: resolve names through the registry (resolve), embed sentences (embed), judge pairs with an
NLI cross-encoder (nli) on a backend (runtime). It never imports the store or the settings."""
