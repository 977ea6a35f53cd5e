"""Auto-instrumentors, one subpackage per library; each is registered under ``opentelemetry_instrumentor``."""
