"""Markdown tables render as tables, with alignment as classes (no style attributes)."""

from runreport.site.markdown import render


def test_table_renders_with_alignment_classes_and_no_style():
    html = render("| Region | Deals |\n|:---|---:|\n| EU | 3 |\n")
    assert "<table>" in html and '<td class="md-right">3</td>' in html
    assert "style=" not in html


def test_raw_html_and_script_links_stay_inert_next_to_tables():
    html = render("| a |\n|---|\n| <b>x</b> |\n\n[go](javascript:alert(1))")
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert 'href="javascript' not in html
