"""Handout PDFs with WeasyPrint. Fonts come from the system; nothing is fetched."""

from pathlib import Path

PRINT_CSS = Path(__file__).resolve().parent / "print.css"


def html_to_pdf(document: str) -> bytes:
    # Imported on first use, not at the top: WeasyPrint (and the fonts it loads) costs a web
    # process memory and start-up time, and only the PDF worker renders.
    from weasyprint import CSS, HTML

    def no_fetch(url, *args, **kwargs):
        raise ValueError(f"handout PDFs load nothing from outside: {url}")

    return HTML(string=document, url_fetcher=no_fetch).write_pdf(
        stylesheets=[CSS(filename=str(PRINT_CSS))]
    )
