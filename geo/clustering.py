"""Grid clustering parameters for the map: how coarse a grid keeps the answer under its feature limit."""

import math

from geo.bbox import BBox

# A cell side wider than the 360° of longitude: grids counted from -180°/-90° then have a single cell.
WHOLE_WORLD = 361.0


def grid_cell_size(box: BBox, max_cells: int) -> float:
    """Side of a square grid cell (degrees) so that the cells touching `box` number at most `max_cells`.

    A box w degrees wide touches at most ceil(w/s) + 1 < w/s + 2 columns of cells of side s, wherever it
    lies, and likewise for rows: (w/s + 2)·(h/s + 2) ≤ n keeps every box within n cells. Four or fewer cannot
    be promised for every box (it may straddle a cell corner): then one cell spans the whole world.
    """
    if max_cells < 1:
        raise ValueError("max_cells must be at least 1")
    if max_cells <= 4:
        return WHOLE_WORLD
    width, height = max(box.width, 1e-9), max(box.height, 1e-9)
    # Solve (w/s + 2)(h/s + 2) = n for s: (n - 4)s² - 2(w + h)s - wh = 0.
    a = max_cells - 4
    size = ((width + height) + math.sqrt((width + height) ** 2 + a * width * height)) / a
    return min(size * 1.000001, WHOLE_WORLD)


def should_cluster(box: BBox, cluster_span: float) -> bool:
    """Wide views are answered with clusters: no phone can show thousands of markers usefully."""
    return max(box.width, box.height) > cluster_span


def grid_level(cell: float, base: float, levels: int) -> int:
    """The coarsest stored grid level whose cells still fit twice across a requested cell of side `cell`.

    Stored cells at level L have side base·2^L; summing stored cells of at most half the requested size
    keeps each cluster's position close to where its places are.
    """
    level = 0
    while level + 1 < levels and base * 2 ** (level + 1) <= cell / 2:
        level += 1
    return level
