"""FastAAIGrid Python tools.

``fastaaigrid.convert`` converts ESRI ASCII Grid tiles to COG/GeoTIFF, on this
machine or on a Dask cluster, reading every tile through the FastAAIGrid GDAL
plugin.  See ``python/README.md``.
"""

__version__ = "0.1.0"
