"""One pass from an answer's bytes to its generated model, every field checked.

The generated ``ApiClient`` reads a JSON answer in three passes: ``json.loads`` builds
dicts and lists, each model's ``from_dict`` copies them into new dicts, and pydantic
validates those. :func:`reader` gives, once per generated model class, a pydantic-core
validator that reads the bytes straight into the same classes (``validate_json``: parsing
and checking in one pass, in Rust) and means what ``from_dict`` means wherever it accepts
an answer:

- a property is read by its wire name only (``from_dict`` never looks at the Python name
  of an aliased field), extra properties are ignored;
- a property left out is ``None`` and is then checked like a ``null`` (``from_dict`` passes
  ``obj.get(name)`` for each property): a nullable one reads, a required one fails;
- a property with a default other than ``None`` takes its default when left out, and a
  ``null`` there is left to ``from_dict`` (which gives the default for some, ``None`` for
  others), by failing here;
- every field counts as set (``model_fields_set``), as ``from_dict`` passes them all, so
  ``to_dict()`` writes the same document. pydantic-core counts only the properties that
  were there, so an answer that left one out is marked afterwards, in Python; one that
  has them all (what a server of the spec's version sends) costs no Python call at all;
- a class whose ``from_dict`` does more than that (``additional_properties``, the
  ``oneOf``/``anyOf`` wrappers with their ``actual_instance``) is read by its own
  ``from_dict``, called from inside the validator, where its parent's ``from_dict`` calls
  it; a class of that kind at the top gets no validator.

What the validator refuses, the caller hands to the generated path, so a refusal there
raises today's error and an answer that only ``from_dict`` reads still reads: the validator
accepts a subset of what ``from_dict`` accepts, and gives the same model for it.
``tests/unit/test_validate.py`` compares both over answers built from every answer schema
of both specs (left-out, null, extra and unknown-enum properties included).

Nothing here imports a generated module: the classes come from the caller.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:  # pydantic is imported with the first generated model, not before
    from pydantic_core import SchemaValidator

#: model fields that mark a ``from_dict`` doing more than reading each property
_OWN_READING = frozenset({"additional_properties", "actual_instance"})
#: schema types whose generated ``from_dict`` applies a property's default when it is absent
_SCALARS = frozenset({"str", "int", "float", "bool", "enum", "datetime", "date", "uuid"})

_readers: dict[type, Reader | None] = {}
_lock = threading.Lock()
#: per thread: how many properties the readers found left out so far
_left_out = threading.local()


class Reader:
    """Reads JSON bytes into one generated model class: ``reader(Model)(body)``."""

    __slots__ = ("_nested", "_validate")

    def __init__(self, validator: SchemaValidator, nested: dict[Any, tuple[str, ...]]) -> None:
        self._validate = validator.validate_json
        #: per class read by these rules: the fields that may hold such a model
        self._nested = nested

    def __call__(self, data: bytes) -> Any:
        """The model; a ``pydantic.ValidationError`` for what these rules refuse."""
        before = getattr(_left_out, "count", 0)
        model = self._validate(data)
        if getattr(_left_out, "count", 0) != before:
            self._all_set(model)
        return model

    def _all_set(self, value: Any) -> None:
        """Every field of every model read by these rules counts as set."""
        fields = self._nested.get(type(value))
        if fields is not None:
            names = type(value).model_fields
            if len(value.__pydantic_fields_set__) != len(names):
                object.__setattr__(value, "__pydantic_fields_set__", set(names))
            for name in fields:
                self._all_set(getattr(value, name))
        elif isinstance(value, list):
            for item in value:
                self._all_set(item)
        elif isinstance(value, dict):
            for item in value.values():
                self._all_set(item)


def reader(model: type) -> Reader | None:
    """The reader of JSON bytes into ``model`` as its ``from_dict`` would read them, or None
    for a model read only by its own ``from_dict``."""
    try:
        return _readers[model]
    except KeyError:
        pass
    with _lock:
        if model not in _readers:
            _readers[model] = _build(model) if _native(model) else None
        return _readers[model]


def _native(cls: Any) -> bool:
    """A generated model whose ``from_dict`` only reads each property (see module doc)."""
    from pydantic import BaseModel

    if not (isinstance(cls, type) and issubclass(cls, BaseModel)):
        return False
    schema = getattr(cls, "__pydantic_core_schema__", None)
    if not isinstance(schema, dict):
        return False
    if schema.get("type") == "definitions":
        schema = schema["schema"]
    return (
        str(cls.__module__).startswith("airflow_client_ext_")
        and "from_dict" in vars(cls)
        and not _OWN_READING & cls.model_fields.keys()
        and not any("discriminator" in name for name in vars(cls))
        and schema.get("type") == "model"
        and schema.get("cls") is cls
        and not schema.get("custom_init")
        and not schema.get("root_model")
    )


def _build(model: type) -> Reader | None:
    transform = _Transform()
    schema = transform.node(model.__pydantic_core_schema__)  # type: ignore[attr-defined]
    read = Reader(_validator(schema, transform), transform.nested)
    return read if _follows_the_rules(read, model, transform.tolerant[model]) else None


def _validator(schema: Any, transform: _Transform) -> SchemaValidator:
    from pydantic_core import SchemaValidator

    # pydantic-core takes the validator a complete class already has for a model schema of
    # that class (its "prebuilt" validator), which would read by the class's own rules, not
    # these: like pydantic's model_rebuild(force=True), the classes are marked incomplete
    # while the validator is built, then complete again
    classes = list(transform.nested)
    for cls in classes:
        cls.__pydantic_complete__ = False
    try:
        return SchemaValidator(schema)
    finally:
        for cls in classes:
            cls.__pydantic_complete__ = True


def picker(model: type, picks: Mapping[type, Collection[str]]) -> Callable[[bytes], Any] | None:
    """A reader of JSON bytes of ``model`` into plain dicts, for a typed result that needs a
    few fields of a large answer: each class of ``picks`` (``model`` and the item class of
    a list field, say) becomes a dict of the named fields only, keyed by their Python names,
    each field checked by the rules of :func:`reader`; the other properties are skipped
    unread, which is what makes it fast. None if a class of ``picks`` is not read by these
    rules or lacks a field. The reader raises ``pydantic.ValidationError`` for what the
    rules refuse (the caller then reads the whole model the usual way)."""
    if not all(_native(cls) for cls in picks):
        return None
    transform = _Transform(picks)
    try:
        schema = transform.node(model.__pydantic_core_schema__)  # type: ignore[attr-defined]
    except KeyError:  # a field that the class does not have
        return None
    return _validator(schema, transform).validate_json


def _follows_the_rules(read: Reader, model: type, tolerant: set[str]) -> bool:
    """The reader reads an empty object by these rules (a check that pydantic-core built
    it from the copy): no field that takes a left-out property is reported missing, and
    every field counts as set."""
    from pydantic_core import ValidationError

    try:
        made = read(b"{}")
    except ValidationError as exc:
        missing = {error["loc"][0] for error in exc.errors() if error["type"] == "missing"}
        return not missing & tolerant
    return bool(made.model_fields_set == set(model.model_fields))  # type: ignore[attr-defined]


class _Transform:
    """A copy of a model's core schema with the reading rules of the module doc."""

    def __init__(self, picks: Mapping[type, Collection[str]] | None = None) -> None:
        #: the classes read into a dict of some of their fields (see picker)
        self._picks = picks or {}
        #: id -> (node, its copy); the node is kept so that its id is not reused
        self._done: dict[int, tuple[Any, Any]] = {}
        #: the classes read by the copy's own rules -> their fields that may hold one
        self.nested: dict[Any, tuple[str, ...]] = {}
        #: the classes read by the copy's own rules -> their fields that take a left-out
        #: property (the others leave it to from_dict)
        self.tolerant: dict[Any, set[str]] = {}

    def node(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.node(item) for item in node]
        if not isinstance(node, dict):
            return node
        done = self._done.get(id(node))
        if done is not None:
            return done[1]
        if node.get("type") == "model":
            out = self._model(node)
        else:
            out = {key: self.node(value) for key, value in node.items()}
        self._done[id(node)] = (node, out)
        return out

    def _model(self, node: dict[str, Any]) -> Any:
        from pydantic_core import core_schema

        cls = node["cls"]
        if not _native(cls):
            # read by its own from_dict, as its parent's from_dict does
            out = dict(core_schema.no_info_plain_validator_function(_own_reading(cls)))
            if node.get("ref") is not None:  # definition-refs of a recursive model
                out["ref"] = node["ref"]
            return out
        fields = node["schema"]["fields"]
        if cls in self._picks:
            return self._picked(fields, self._picks[cls], node.get("config", {}))
        self.nested[cls] = tuple(n for n, f in fields.items() if _may_hold_a_model(f["schema"]))
        self.tolerant[cls] = set()
        out = dict(node)
        out["config"] = {**node.get("config", {}), "validate_by_name": False}
        out["schema"] = self._fields(node["schema"], self.tolerant[cls])
        return out

    def _fields(self, node: dict[str, Any], tolerant: set[str]) -> dict[str, Any]:
        fields = {}
        for name, field in node["fields"].items():
            schema = _absent_rule(field["schema"])
            if schema.get("type") == "default":
                tolerant.add(name)
            fields[name] = {**field, "schema": self.node(schema)}
        return {**node, "fields": fields}

    def _picked(
        self, fields: dict[str, Any], names: Collection[str], config: dict[str, Any]
    ) -> Any:
        from pydantic_core import core_schema

        picked = {}
        for name in names:
            field = fields[name]
            schema = _absent_rule(field["schema"])
            picked[name] = core_schema.typed_dict_field(
                self.node(schema),
                required=schema.get("type") != "default",
                validation_alias=field.get("validation_alias", name),
            )
        by_alias = cast("core_schema.CoreConfig", {**config, "validate_by_name": False})
        return core_schema.typed_dict_schema(picked, extra_behavior="ignore", config=by_alias)


def _may_hold_a_model(schema: Any) -> bool:
    if isinstance(schema, list):
        return any(_may_hold_a_model(item) for item in schema)
    if not isinstance(schema, dict):
        return False
    if schema.get("type") in ("model", "definition-ref"):
        return True
    return any(_may_hold_a_model(value) for value in schema.values())


def _absent_rule(schema: dict[str, Any]) -> dict[str, Any]:
    """A field's schema with what ``from_dict`` does when its property is left out: the
    value it passes then, checked like one sent, the absence counted (:class:`Reader`)."""
    if schema.get("type") != "default":
        # from_dict passes obj.get(name): None, checked like a null
        return _when_left_out(schema, None)
    if "default_factory" not in schema and schema.get("default") is None:
        return _when_left_out(schema["schema"], None)  # left out or null: None
    inner = schema["schema"]
    if inner.get("type") == "nullable":
        inner = inner["schema"]  # a null is left to from_dict
    if inner.get("type") in _SCALARS and "default_factory" not in schema:
        return _when_left_out(inner, schema["default"])  # from_dict gives the default
    return dict(inner)  # from_dict gives None when left out: left to from_dict


def _when_left_out(schema: dict[str, Any], value: Any) -> dict[str, Any]:
    from pydantic_core import core_schema

    def left_out() -> Any:
        _left_out.count = getattr(_left_out, "count", 0) + 1
        return value

    return dict(
        core_schema.with_default_schema(schema, default_factory=left_out, validate_default=True)
    )


def _own_reading(cls: Any) -> Callable[[Any], Any]:
    def read(value: Any) -> Any:
        if value is None:  # a null item of a list or map: from_dict's None fails there
            raise ValueError(f"a null where {cls.__name__} was expected")
        return cls.from_dict(value)

    return read


__all__ = ["Reader", "picker", "reader"]
