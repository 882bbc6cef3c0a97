"""Site: what readers get (pages, HTML, feeds, reading pages, learning plans)."""
