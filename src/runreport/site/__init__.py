"""The generated site: page data, rendering and writing of `runreport build`.

`build_site(loaded, out_dir, options)` is the library entry point; the click
command in :mod:`runreport.site.command` is a thin shell over it.
"""

from runreport.site.build import BuildOptions, BuildReport, build_site

__all__ = ["BuildOptions", "BuildReport", "build_site"]
