"""MT: English to Simplified Chinese (the MarianMT backend, translation memory, glossary, protected terms)."""
