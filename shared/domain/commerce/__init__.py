"""E-commerce: product interest and purchases, template variables for products,
recommendations and exported audiences."""
