"""The event contract: models, generated JSON Schemas and samples."""
