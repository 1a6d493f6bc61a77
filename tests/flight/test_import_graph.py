"""Who imports whom: flight/ has no import cycle (px4 and safety no longer need each other), and the shared types
keep one direction (flight -> mission_planner for mission items, sim -> vision.camera_model for the camera)."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[2]


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, TYPE_CHECKING and function-level imports included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def package_graph(package: str) -> nx.DiGraph:
    graph = nx.DiGraph()
    for path in (ROOT / package).glob("*.py"):
        name = f"{package}.{path.stem}"
        graph.add_node(name)
        for module in imports_of(path):
            if module.startswith(f"{package}.") and (ROOT / package / f"{module.split('.')[1]}.py").exists():
                graph.add_edge(name, ".".join(module.split(".")[:2]))
    return graph


def test_flight_modules_import_each_other_without_a_cycle() -> None:
    graph = package_graph("flight")
    assert graph.has_edge("flight.failsafes", "flight.mission_protocol")
    assert not graph.has_edge("flight.px4", "flight.safety") and not graph.has_edge("flight.safety", "flight.px4")
    assert not graph.has_edge("flight.safety", "flight.failsafes")  # plan checks never talk to a vehicle
    assert list(nx.simple_cycles(graph)) == []


def test_shared_types_point_one_way() -> None:
    def package_imports(package: str) -> set[str]:
        return {m for path in (ROOT / package).rglob("*.py") for m in imports_of(path)}

    assert not any(m.split(".")[0] in {"flight", "sim", "gridpatrol"} for m in package_imports("mission_planner"))
    assert not any(m.split(".")[0] in {"sim", "gridpatrol"} for m in package_imports("vision"))
    sim_vision = {".".join(m.split(".")[:2]) for m in package_imports("sim") if m.split(".")[0] == "vision"}
    assert "vision.camera_model" in sim_vision and sim_vision <= {"vision.camera_model", "vision.data_dir"}
