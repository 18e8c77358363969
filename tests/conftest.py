"""Shared fixtures. Layer-specific ones live in each folder's conftest."""
