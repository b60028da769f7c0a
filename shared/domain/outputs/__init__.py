"""What leaves the core for analysis: event-lake rows and exported audiences."""
