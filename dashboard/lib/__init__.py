"""Dashboard helpers: data access (SQL in audit/sql/dashboard.sql), state, masking, images, style."""
