"""How the web UI looks: a calm theme with fonts that ship with Gradio (nothing is fetched from font CDNs) and the
styles of the sources panel."""

from __future__ import annotations

import gradio as gr

THEME = gr.themes.Soft(primary_hue="indigo", secondary_hue="amber", neutral_hue="slate")

CSS = """
.cw-header h1 { margin: 0; font-size: 1.6rem; }
.cw-header p { margin: .2rem 0 0; color: var(--body-text-color-subdued); }
.cw-sources { max-height: 640px; overflow-y: auto; padding-right: .25rem; }
.cw-sources-head { font-weight: 600; margin: 0 0 .5rem; color: var(--body-text-color-subdued);
                   text-transform: uppercase; letter-spacing: .04em; font-size: .8rem; }
.cw-empty p { color: var(--body-text-color-subdued); }
.cw-paper { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: .7rem .85rem;
            margin-bottom: .6rem; background: var(--background-fill-primary); }
.cw-title { font-weight: 600; line-height: 1.3; }
.cw-meta { font-size: .82rem; color: var(--body-text-color-subdued); margin: .25rem 0 .35rem; }
.cw-meta a { color: var(--link-text-color); }
.cw-chip { display: inline-block; min-width: 1.35rem; padding: 0 .3rem; border-radius: 999px; text-align: center;
           font-size: .75rem; font-weight: 600; line-height: 1.35rem; vertical-align: baseline;
           background: var(--primary-100); color: var(--primary-700); margin-left: .15rem; }
blockquote.cw-cited { margin: .35rem 0; padding: .3rem .6rem; border-left: 3px solid var(--secondary-400);
                      background: var(--secondary-50); border-radius: 0 6px 6px 0; font-size: .9rem; line-height: 1.45; }
blockquote.cw-cited .cw-chip { margin: 0 .25rem 0 0; }
.cw-abstract summary { cursor: pointer; font-size: .82rem; color: var(--body-text-color-subdued); }
.cw-abstract p { font-size: .88rem; line-height: 1.5; margin: .35rem 0 0; max-height: 12rem; overflow-y: auto; }
mark.cw-quote { background: var(--secondary-100); color: inherit; padding: 0 .1rem; border-radius: 3px; }
#cw-papers table { font-family: var(--font); font-size: .88rem; }
.cw-footer-note { font-size: .8rem; color: var(--body-text-color-subdued); }
"""
