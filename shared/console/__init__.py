"""The marketer console: config lifecycle, dry-run and player lookup behind an HTTP API."""
