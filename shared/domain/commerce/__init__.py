"""E-commerce: product interest and purchases, recommendations, template variables for
products."""
