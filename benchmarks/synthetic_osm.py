"""Synthetic OSM extracts written with pyosmium, for the import benchmark (benchmarks/import_bench.py).

- realistic(objects): like a real extract, mostly untagged nodes of ways (roads and buildings, which carry keys
  the reader looks at), and about 1.5 % places: named nodes with a category, some with a wheelchair tag and an
  address, a few of them areas (closed ways).
- dense(places): every object a named place node, as in a city centre.
- modified(source, share): a copy of a file in which `share` of the places changed, for the diff benchmark
  (`osmium derive-changes` turns the pair into a change file).
Objects are deterministic for a seed; places spread over Liechtenstein's bounding box around Vaduz.
"""

import random
from pathlib import Path

import osmium

CENTRE = (9.52, 47.14)
PLACE_TAGS = (("amenity", "cafe"), ("amenity", "restaurant"), ("shop", "bakery"), ("amenity", "pharmacy"),
              ("tourism", "hotel"), ("amenity", "toilets"), ("highway", "bus_stop"), ("shop", "supermarket"))
WHEELCHAIR = ("yes", "limited", "no")
WAY_NODES = 6


def _point(rng: random.Random) -> tuple[float, float]:
    return round(CENTRE[0] + rng.gauss(0, 0.05), 7), round(CENTRE[1] + rng.gauss(0, 0.04), 7)


def place_tags(number: int, rng: random.Random) -> dict:
    """A place's tags: a category, a name, and for some a wheelchair status, a toilet and an address."""
    key, value = PLACE_TAGS[number % len(PLACE_TAGS)]
    tags = {key: value, "name": f"Place {number}"}
    if rng.random() < 0.4:
        tags["wheelchair"] = rng.choice(WHEELCHAIR)
    if rng.random() < 0.1:
        tags["toilets:wheelchair"] = rng.choice(("yes", "no"))
    if rng.random() < 0.3:
        tags.update({"addr:street": f"Strasse {number % 97}", "addr:housenumber": str(number % 50 + 1)})
    return tags


def write_realistic(path: Path, objects: int, place_share: float = 0.015, seed: int = 1) -> int:
    """Write about `objects` objects, `place_share` of them places; return the number of places."""
    rng = random.Random(seed)
    ways = int(objects * (1 - place_share) / (WAY_NODES + 1))
    way_nodes = ways * WAY_NODES
    places = objects - ways - way_nodes
    area_places = places // 10  # as closed ways (a building with a shop)
    node_places = places - area_places
    path.unlink(missing_ok=True)
    with osmium.SimpleWriter(str(path)) as writer:
        node_id = 0
        for _ in range(way_nodes):
            node_id += 1
            writer.add_node(osmium.osm.mutable.Node(id=node_id, location=_point(rng)))
        for number in range(node_places):
            node_id += 1
            writer.add_node(osmium.osm.mutable.Node(id=node_id, location=_point(rng), tags=place_tags(number, rng)))
        for way_id in range(1, ways + 1):
            first = (way_id - 1) * WAY_NODES + 1
            refs = list(range(first, first + WAY_NODES))
            if way_id <= area_places:
                refs[-1] = refs[0]  # closed: an area with a place's tags
                tags = place_tags(node_places + way_id, rng)
            else:
                tags = {"highway": "residential"} if way_id % 3 else {"building": "yes"}
            writer.add_way(osmium.osm.mutable.Way(id=way_id, nodes=refs, tags=tags))
    return places


def write_dense(path: Path, places: int, seed: int = 2) -> int:
    """Write `places` place nodes and nothing else; return `places`."""
    rng = random.Random(seed)
    path.unlink(missing_ok=True)
    with osmium.SimpleWriter(str(path)) as writer:
        for number in range(places):
            writer.add_node(osmium.osm.mutable.Node(id=number + 1, location=_point(rng),
                                                    tags=place_tags(number, rng)))
    return places


def write_modified(source: Path, path: Path, share: float = 0.01, seed: int = 3) -> int:
    """Copy `source` with `share` of its place nodes changed (a new wheelchair status, a few also moved), each
    with its version raised as OSM does; return the number changed."""
    rng = random.Random(seed)
    step = max(1, round(1 / share))
    candidates = changed = 0
    path.unlink(missing_ok=True)
    with osmium.SimpleWriter(str(path)) as writer:
        for obj in osmium.FileProcessor(str(source)):
            if obj.is_node() and "name" in obj.tags:
                candidates += 1
                if candidates % step == 0:
                    changed += 1
                    tags = dict(obj.tags)
                    tags["wheelchair"] = "no" if tags.get("wheelchair") == "yes" else "yes"
                    location = _point(rng) if changed % 5 == 0 else obj.location
                    writer.add_node(obj.replace(tags=tags, version=obj.version + 1, location=location))
                    continue
            writer.add(obj)
    return changed
