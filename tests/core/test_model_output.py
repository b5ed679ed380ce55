"""ember.utils.pretrained.ModelOutput: the base of the models' output records (transformers'
ModelOutput), shared by embertext and emberaudio."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

import ember
from ember.utils.pretrained import ModelOutput


@dataclass(repr=False, eq=False)
class _Out(ModelOutput):
    loss: object = None
    logits: object = None
    hidden_states: tuple | None = None


def test_fields_that_are_none_are_left_out_of_every_view():
    logits = ember.zeros(2, 3)
    out = _Out(logits=logits)
    assert out.keys() == ["logits"]
    assert out.values() == [logits] and out.items() == [("logits", logits)]
    assert out.to_tuple() == (logits,) and len(out) == 1 and list(out) == [logits]
    assert out[0] is logits and out["logits"] is logits and out.logits is logits
    assert "logits" in out and "loss" not in out


def test_position_follows_declaration_order_and_slices():
    loss, logits, hidden = ember.tensor(1.0), ember.zeros(2, 3), (ember.ones(2),)
    out = _Out(hidden_states=hidden, logits=logits, loss=loss)
    assert out[0] is loss and out[1] is logits and out[2] is hidden
    assert out[:2] == (loss, logits)
    assert out.keys() == ["loss", "logits", "hidden_states"]


def test_missing_key_names_the_set_fields():
    with pytest.raises(KeyError, match=r"_Out has no field 'loss' set; set fields: \['logits'\]"):
        _Out(logits=ember.zeros(1))["loss"]


def test_repr_prints_tensors_as_shapes():
    assert repr(_Out(logits=ember.zeros(2, 3))) == "_Out(logits=ember.Size([2, 3]))"
    assert repr(_Out()) == "_Out()"


def test_domain_packages_reexport_the_same_base():
    text = pytest.importorskip("embertext.models.outputs")
    assert text.ModelOutput is ModelOutput
    assert issubclass(text.SequenceClassifierOutput, ModelOutput)
