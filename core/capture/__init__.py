"""The one way leads come in: validate, normalise, dedupe, score, create, assign — single captures,
the API's group commit, web forms, API keys, and the batch writer that makes imports fast."""
