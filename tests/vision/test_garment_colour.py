"""The garment colour namer (#16): synthetic solid colours, simulated crops, and hand-labelled real crops."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from incidents.colours import COLOURS
from vision.garment_colour import lab_to_word, name_colour, stable, torso_region, upper_colour
from vision.garment_crops import LABELS_CSV, cut, read_image, read_labels
from vision.garment_sim import SHADES, SimCrop, read_plan, render_crop
from vision.mask_data import mask_dataset_dir

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks.colours import real_pairs, score

PHOTOS = mask_dataset_dir() / "images"
needs_photos = pytest.mark.skipif(not PHOTOS.is_dir(), reason="no ../shared/data/face_mask here")


@pytest.mark.parametrize("colour", list(SHADES))
def test_solid_prototype_shades_are_named_never_misnamed(colour: str) -> None:
    answers: list[str] = []
    for r, g, b in SHADES[colour]:
        patch = np.zeros((60, 50, 3), np.uint8)
        patch[:] = (b, g, r)
        answers.append(name_colour(patch).colour)
    assert set(answers) <= {colour, "unknown"} and answers.count(colour) >= 2, answers


def test_a_torso_of_three_equal_stripes_is_unknown() -> None:
    crop = np.zeros((60, 60, 3), np.uint8)
    crop[:20] = (0, 0, 200)
    crop[20:40] = (200, 0, 0)
    crop[40:] = (0, 200, 0)
    result = name_colour(crop)
    assert result.colour == "unknown" and not result.known


def test_near_a_boundary_is_unknown_not_a_guess() -> None:
    assert lab_to_word(74, 0, 0) == "grey" and not stable(74, 0, 0)  # light grey or white: depends on the light
    assert stable(95, 0, 0) and stable(10, 0, 0)


def test_simulated_set_is_named_right_when_named() -> None:
    pairs = [(spec.colour, name_colour(render_crop(spec)).colour) for spec in read_plan()]
    result = score(pairs)
    assert result["crops"] == 132 and result["accuracy_named"] >= 0.95 and result["coverage"] >= 0.7
    assert render_crop(SimCrop(1, "red", (200, 30, 30), 1.0)).shape == (96, 80, 3)


def test_upper_colour_below_the_face_in_a_frame() -> None:
    frame = np.full((400, 300, 3), 90, np.uint8)
    frame[180:330, 60:240] = (30, 30, 200)  # a red top below the face
    face = (120, 80, 180, 150)
    assert torso_region((50, 60, 250, 400), face, 300, 400) == (84, 185, 216, 325)
    assert upper_colour(frame, (50, 60, 250, 400), face) == "red"
    assert upper_colour(frame, None, None) is None


def test_labels_file_holds_at_least_200_crops_with_basic_colour_words() -> None:
    labels = read_labels(LABELS_CSV)
    assert len(labels) >= 200
    assert {lab.upper for lab in labels} <= {*COLOURS, "unclear"}
    assert {lab.lower for lab in labels} <= {*COLOURS, ""}


@needs_photos
@pytest.mark.parametrize(
    ("image", "colour"),
    [
        ("maksssksksss104.jpg", "black"),
        ("maksssksksss13.jpg", "red"),
        ("maksssksksss130.jpg", "blue"),
        ("maksssksksss165.jpg", "white"),
        ("maksssksksss286.jpg", "brown"),
    ],
)
def test_real_crops_by_file_name(image: str, colour: str) -> None:
    label = next(lab for lab in read_labels() if lab.image == image and lab.upper == colour)
    assert name_colour(cut(read_image(PHOTOS / image), label.box)).colour == colour


@needs_photos
def test_real_labelled_crops_reach_80_percent_when_named() -> None:
    result = score(real_pairs())
    assert result["crops"] >= 150
    assert result["accuracy_named"] >= 0.8 and result["coverage"] >= 0.6, result
