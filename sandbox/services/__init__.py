"""Business rules, free of Flask and marshmallow, so they can be called from anywhere."""
