"""What anyone may read without a login: published pledges, their feeds, embeds and badges."""
