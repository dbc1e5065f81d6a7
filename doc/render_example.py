#!/usr/bin/python3
"""Render the example DEM with QGIS (headless) through FastAAIGrid: doc/img/example-qgis.png.

    /usr/bin/python3 doc/render_example.py [DEM.asc] [--plugin-dir build] [--out PNG] [--width 800]

Without DEM.asc it renders the sample DEM of bench/demo.sh: bench.py's quick 1000x1000 `%.3f`
DEM, generated (deterministically) into /tmp/fastaaigrid-bench/quick/dem.asc when not there yet.
QGIS draws the grid twice: a hypsometric pseudo-colour ramp over the exact min/max, and a
multi-directional hillshade multiplied on top. The script fails unless QGIS read the grid with
FastAAIGrid.
"""
import argparse
import os
import re
import sys

DOC = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(DOC)


def example_dem():
    sys.path.insert(0, os.path.join(REPO, 'bench'))
    import bench
    workdir = '/tmp/fastaaigrid-bench/quick'
    os.makedirs(workdir, exist_ok=True)
    side = bench.SIZES[True][0]
    return bench.cached(os.path.join(workdir, 'dem.asc'), lambda t: bench.gen_dem(t, side))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('dem', nargs='?', help='the .asc to render (default: the demo DEM)')
    ap.add_argument('--plugin-dir', default=os.path.join(REPO, 'build'))
    ap.add_argument('--out', default=os.path.join(DOC, 'img', 'example-qgis.png'))
    ap.add_argument('--width', type=int, default=800)
    args = ap.parse_args()

    plugin_dir = os.path.abspath(args.plugin_dir)
    if not os.path.isfile(os.path.join(plugin_dir, 'gdal_FastAAIGrid.so')):
        sys.exit(f'error: {plugin_dir}/gdal_FastAAIGrid.so not found; build the plugin or pass --plugin-dir')
    dem = os.path.abspath(args.dem or example_dem())

    # Before QGIS (and GDAL) start: the plugin folder, no display.
    os.environ['GDAL_DRIVER_PATH'] = plugin_dir
    os.environ.setdefault('QT_QPA_PLATFORM', 'offscreen')
    os.environ['GDAL_PAM_ENABLED'] = 'NO'  # leave no .aux.xml (statistics) next to the DEM
    from qgis.core import (QgsApplication, QgsBilinearRasterResampler, QgsColorRampShader,
                           QgsGradientColorRamp, QgsGradientStop, QgsHillshadeRenderer,
                           QgsMapRendererParallelJob, QgsMapSettings, QgsRasterBandStats,
                           QgsRasterLayer, QgsRasterShader, QgsRectangle,
                           QgsSingleBandPseudoColorRenderer)
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor, QImage, QPainter

    app = QgsApplication([], False)
    app.initQgis()

    def load(name):
        layer = QgsRasterLayer(dem, name, 'gdal')
        if not layer.isValid():
            sys.exit(f'error: QGIS cannot load {dem}: {layer.error().summary()}')
        m = re.search(r'GDAL Driver Description</td><td>([^<]*)<', layer.dataProvider().htmlMetadata())
        driver = m.group(1) if m else None
        if driver != 'FastAAIGrid':
            sys.exit(f'error: QGIS read {dem} with {driver}, not FastAAIGrid '
                     f'(GDAL_DRIVER_PATH={plugin_dir})')
        for resampler in ('setZoomedInResampler', 'setZoomedOutResampler'):
            getattr(layer.resampleFilter(), resampler)(QgsBilinearRasterResampler())
        return layer

    colour = load('elevation')
    prov = colour.dataProvider()
    st = prov.bandStatistics(1, QgsRasterBandStats.All, QgsRectangle(), 0)
    lo, hi = st.minimumValue, st.maximumValue
    stops = [(0.15, '#8fbf5a'), (0.35, '#e6dc8c'), (0.55, '#c8a064'), (0.75, '#9c6e4a'), (0.9, '#d2c8be')]
    ramp = QgsGradientColorRamp(QColor('#2e7d4f'), QColor('#ffffff'),
                                False, [QgsGradientStop(f, QColor(c)) for f, c in stops])
    fn = QgsColorRampShader(lo, hi)
    fn.setSourceColorRamp(ramp)
    fn.setColorRampType(QgsColorRampShader.Interpolated)
    fn.classifyColorRamp(64)
    shader = QgsRasterShader()
    shader.setRasterShaderFunction(fn)
    colour.setRenderer(QgsSingleBandPseudoColorRenderer(prov, 1, shader))

    shade = load('hillshade')
    hs = QgsHillshadeRenderer(shade.dataProvider(), 1, 315, 40)
    hs.setMultiDirectional(True)
    hs.setZFactor(1.0)
    hs.setOpacity(0.45)
    shade.setRenderer(hs)
    shade.setBlendMode(QPainter.CompositionMode_Multiply)

    ext = colour.extent()
    ms = QgsMapSettings()
    ms.setLayers([shade, colour])  # first = on top
    ms.setDestinationCrs(colour.crs())
    ms.setExtent(ext)
    ms.setOutputSize(QSize(args.width, round(args.width * ext.height() / ext.width())))
    ms.setBackgroundColor(QColor('#ffffff'))
    job = QgsMapRendererParallelJob(ms)
    job.start()
    job.waitForFinished()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    # 256 colours (QImage's dithered indexed conversion) keep the picture small in the repository.
    image = job.renderedImage().convertToFormat(QImage.Format_Indexed8)
    if not image.save(args.out, 'PNG', 0):  # 0: smallest PNG
        sys.exit(f'error: cannot write {args.out}')
    print(f'{args.out}: {dem} ({colour.width()}x{colour.height()}, {lo:.1f}..{hi:.1f}) rendered by QGIS '
          f'through FastAAIGrid, {ms.outputSize().width()}x{ms.outputSize().height()} px')
    del prov
    colour = shade = None
    app.exitQgis()
    return 0


if __name__ == '__main__':
    sys.exit(main())
