"""PDF: what a paper holds, read with PyMuPDF: text, sections, figures and kinds, links, references."""
