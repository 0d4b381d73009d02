"""The fax options form: service and sender, resolution, image conversion, the header line,
retries, labels and the cover page, each with what Sinch does with it and its limits.

One form serves the composer (every option, filled from the settings' sending defaults and the
account's services and cover pages) and the settings dialog (the defaults only). It holds
values and says what is wrong with them; it never talks to the service: whoever owns it feeds
it services, cover pages and time zone names, and reads the options back with
`apply_to(request)` or `sending_defaults()`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QSpinBox,
    QWidget,
)

from faxdesk.config.settings import SendingDefaults
from faxdesk.core.errors import ValidationError
from faxdesk.core.models import (
    CoverPage,
    ImageConversionMethod,
    Resolution,
    SendRequest,
    Service,
)
from faxdesk.core.phone import display, fax_number

_E = TypeVar("_E", bound=Enum)

HEADER_TEXT_MAX = 50
RETRIES_RANGE = (0, 5)
RETRY_DELAY_RANGE = (30, 300)
SERVICE_TIME_ZONE = "America/New_York"

#: Tags Sinch fills in on every cover page by itself.
AUTOMATIC_COVER_TAGS = frozenset({"from", "to", "date", "pagecount"})

_SERVICE_DEFAULT = "Service default"


@dataclass(frozen=True, slots=True)
class CoverChoice:
    """The cover page chosen in the form: none, a service cover page (`service_id`, `id`),
    or a local template (`template`, a name the owner of the form understands)."""

    id: str = ""
    service_id: str = ""
    template: str = ""
    name: str = ""

    @property
    def is_none(self) -> bool:
        return not (self.id or self.template)


def parse_labels(text: str) -> dict[str, str]:
    """`ticket=T-42; dept=radiology` (also `,` or new lines between pairs) as a label map.

    Raises ValidationError naming the pair that has no name or no `=`.
    """
    labels: dict[str, str] = {}
    for part in text.replace("\n", ";").replace(",", ";").split(";"):
        pair = part.strip()
        if not pair:
            continue
        name, equals, value = pair.partition("=")
        if not equals or not name.strip():
            raise ValidationError(
                f"The label “{pair}” needs a name and a value, like ticket=T-42.",
                field="labels",
            )
        labels[name.strip()] = value.strip()
    return labels


def format_labels(labels: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in labels.items())


class SendOptionsForm(QWidget):
    """The options of one fax, or the defaults every new fax starts with.

    Signals:
        changed(): any option changed.
        cover_changed(object): the CoverChoice picked (the owner may answer with
            `set_cover_fields()`).

    Attributes:
        service_combo, from_combo, resolution_combo, conversion_combo, header_edit,
        header_counter, page_numbers_check, time_zone_combo, retries_spin, delay_spin,
        labels_edit, cover_combo: the form's widgets (the last two only in the full form).
        problem_label: what is wrong with the options, or hidden.
        default_region: the region a sender number without a country code is read in.
    """

    changed = Signal()
    cover_changed = Signal(object)

    def __init__(
        self, parent: QWidget | None = None, *, full: bool = True, default_region: str = "US"
    ) -> None:
        super().__init__(parent)
        self.default_region = default_region
        self._full = full
        self._services: list[Service] = []
        self._cover_fields: dict[str, QLineEdit] = {}

        self.service_combo = QComboBox(self)
        self.service_combo.setToolTip(
            "The Sinch fax service the fax goes through. A service holds the default sender "
            "number, retries, resolution and cover page of its faxes."
        )
        self.from_combo = QComboBox(self)
        self.from_combo.setEditable(True)
        self.from_combo.setToolTip(
            "The number the recipient sees the fax come from: one of your Sinch numbers, in "
            "international format. Left at the service default, Sinch uses the service's "
            "number (or the first number of your project)."
        )
        self.from_combo.lineEdit().setPlaceholderText(_SERVICE_DEFAULT)

        self.resolution_combo = QComboBox(self)
        self.resolution_combo.addItem(_SERVICE_DEFAULT, None)
        self.resolution_combo.addItem("Fine (200 dpi)", Resolution.FINE)
        self.resolution_combo.addItem("Superfine (400 dpi)", Resolution.SUPERFINE)
        self.resolution_combo.setToolTip(
            "How finely Sinch scans each page for the fax line. Fine (200 dpi) suits text; "
            "Superfine (400 dpi) keeps small print and drawings sharp but takes about twice "
            "as long to transmit. Not every fax machine receives Superfine."
        )
        self.conversion_combo = QComboBox(self)
        self.conversion_combo.addItem(_SERVICE_DEFAULT, None)
        self.conversion_combo.addItem("Halftone (photos, grey)", ImageConversionMethod.HALFTONE)
        self.conversion_combo.addItem("Monochrome (crisp text)", ImageConversionMethod.MONOCHROME)
        self.conversion_combo.setToolTip(
            "How Sinch turns colour and grey into the black and white a fax prints. Halftone "
            "dithers grey into dots, good for photos and shaded forms (Sinch's default); "
            "Monochrome makes each dot black or white, crisper for plain text."
        )

        self.header_edit = QLineEdit(self)
        self.header_edit.setMaxLength(HEADER_TEXT_MAX)
        self.header_edit.setPlaceholderText("e.g. Mercy Clinic, Radiology")
        self.header_edit.setToolTip(
            "The line Sinch prints at the top of every page the recipient receives, with the "
            f"date and time. At most {HEADER_TEXT_MAX} characters. It is added during "
            "transmission, so it is not in the PDF."
        )
        self.header_counter = QLabel(self)
        self.header_counter.setAccessibleName("Header text length")
        self.page_numbers_check = QCheckBox("&Page numbers in the header", self)
        self.page_numbers_check.setToolTip(
            "Print “page n of N” in the header line of each page (Sinch's default)."
        )
        self.time_zone_combo = QComboBox(self)
        self.time_zone_combo.setEditable(True)
        self.time_zone_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.time_zone_combo.lineEdit().setPlaceholderText(
            f"{_SERVICE_DEFAULT} ({SERVICE_TIME_ZONE})"
        )
        self.time_zone_combo.setToolTip(
            "The time zone of the date and time in the header line, as a tz database name "
            f"such as Europe/Berlin. Type part of a name to search. Sinch uses "
            f"{SERVICE_TIME_ZONE} when none is chosen."
        )
        completer = QCompleter(self.time_zone_combo.model(), self.time_zone_combo)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.time_zone_combo.setCompleter(completer)
        self.time_zone_combo.addItem("")

        low, high = RETRIES_RANGE
        self.retries_spin = QSpinBox(self)
        self.retries_spin.setRange(low - 1, high)
        self.retries_spin.setSpecialValueText(_SERVICE_DEFAULT)
        self.retries_spin.setToolTip(
            f"How often Sinch calls again when the line is busy or nobody answers: {low} to "
            f"{high} times. The service's default is usually 3."
        )
        low, high = RETRY_DELAY_RANGE
        self.delay_spin = QSpinBox(self)
        self.delay_spin.setRange(low - 1, high)
        self.delay_spin.setSuffix(" s")
        self.delay_spin.setSingleStep(10)
        self.delay_spin.setSpecialValueText(_SERVICE_DEFAULT)
        self.delay_spin.setToolTip(
            f"Seconds Sinch waits between tries: {low} to {high}. The service's default is "
            "usually 60."
        )

        for spin in (self.retries_spin, self.delay_spin):
            spin.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

        self.labels_edit = QLineEdit(self)
        self.labels_edit.setPlaceholderText("name=value; name=value")
        self.labels_edit.setToolTip(
            "Your own notes stored with the fax at Sinch, such as ticket=T-42. They come back "
            "in the fax list and the CSV export, and let you find the fax later."
        )
        self.cover_combo = QComboBox(self)
        self.cover_combo.setToolTip(
            "A page put in front of the documents. A service cover page is a template stored "
            "at Sinch; its fields ({{to}}, {{from}}, {{date}}, {{pageCount}} and your own) are "
            "filled in by Sinch. A local template is filled in here before sending."
        )
        self.cover_combo.addItem("No cover page", CoverChoice())

        self.problem_label = QLabel(self)
        self.problem_label.setWordWrap(True)
        self.problem_label.setProperty("error", True)
        self.problem_label.hide()

        header_row = QHBoxLayout()
        header_row.setContentsMargins(0, 0, 0, 0)
        header_row.addWidget(self.header_edit, 1)
        header_row.addWidget(self.header_counter)

        form = self._form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(self._label("Ser&vice:", self.service_combo), self.service_combo)
        form.addRow(self._label("&From:", self.from_combo), self.from_combo)
        form.addRow(self._label("Reso&lution:", self.resolution_combo), self.resolution_combo)
        form.addRow(self._label("I&mages:", self.conversion_combo), self.conversion_combo)
        form.addRow(self._label("&Header:", self.header_edit), header_row)
        form.addRow("", self.page_numbers_check)
        form.addRow(self._label("Time &zone:", self.time_zone_combo), self.time_zone_combo)
        form.addRow(self._label("Retr&ies:", self.retries_spin), self.retries_spin)
        form.addRow(self._label("Retry dela&y:", self.delay_spin), self.delay_spin)
        if full:
            form.addRow(self._label("La&bels:", self.labels_edit), self.labels_edit)
            form.addRow(self._label("C&over page:", self.cover_combo), self.cover_combo)
        else:
            self.labels_edit.hide()
            self.cover_combo.hide()
        form.addRow(self.problem_label)

        self._fill_services()
        self.header_edit.textChanged.connect(self._on_header_edit_text_changed)
        self.service_combo.currentIndexChanged.connect(self._on_service_combo_changed)
        self.cover_combo.currentIndexChanged.connect(self._on_cover_combo_changed)
        for signal in (
            self.from_combo.currentTextChanged,
            self.resolution_combo.currentIndexChanged,
            self.conversion_combo.currentIndexChanged,
            self.page_numbers_check.toggled,
            self.time_zone_combo.currentTextChanged,
            self.retries_spin.valueChanged,
            self.delay_spin.valueChanged,
            self.labels_edit.textChanged,
        ):
            signal.connect(self._on_option_changed)
        self.set_defaults(SendingDefaults())

    # -- feeding ---------------------------------------------------------------------------

    def set_services(self, services: Sequence[Service]) -> None:
        """Offer the account's services and their sender numbers; keeps the current choice."""
        chosen = self.service_id()
        sender = self.from_combo.currentText()
        self._services = list(services)
        self._fill_services()
        self._select_data(self.service_combo, chosen or None)
        self.from_combo.setEditText(sender)

    def set_time_zones(self, names: Iterable[str]) -> None:
        """Offer these tz database names (reading them is the owner's disk work)."""
        current = self.time_zone_combo.currentText()
        self.time_zone_combo.blockSignals(True)
        self.time_zone_combo.clear()
        self.time_zone_combo.addItem("")
        self.time_zone_combo.addItems(sorted(names))
        self.time_zone_combo.setEditText(current)
        self.time_zone_combo.blockSignals(False)

    def set_cover_pages(self, templates: Sequence[str], pages: Sequence[CoverPage]) -> None:
        """Offer local templates (by name) and the service's cover pages."""
        current = self.cover_choice()
        self.cover_combo.blockSignals(True)
        self.cover_combo.clear()
        self.cover_combo.addItem("No cover page", CoverChoice())
        for name in templates:
            self.cover_combo.addItem(f"{name} (template)", CoverChoice(template=name, name=name))
        for page in pages:
            choice = _cover_choice_for(page)
            self.cover_combo.addItem(f"{choice.name} (service cover page)", choice)
        index = max(0, self.cover_combo.findData(current))
        self.cover_combo.setCurrentIndex(index)
        self.cover_combo.blockSignals(False)
        if self.cover_choice() != current:
            self._on_cover_combo_changed()

    def set_cover_fields(self, names: Sequence[str]) -> None:
        """Ask for these cover page fields (the ones Sinch does not fill by itself)."""
        values = self.cover_data()
        for old in self._cover_fields.values():
            self._form.removeRow(old)
        self._cover_fields = {}
        # The fields' rows follow the cover page's, in the form's own columns.
        row, _role = self._form.getWidgetPosition(self.cover_combo)
        if row < 0:
            return  # the defaults' form has no cover page
        for name in names:
            key = name.lower()
            if key in AUTOMATIC_COVER_TAGS or key in self._cover_fields:
                continue
            edit = QLineEdit(self)
            edit.setObjectName(f"cover_{key}")
            edit.setText(values.get(key, ""))
            edit.setAccessibleName(f"Cover page field {key}")
            edit.textChanged.connect(self._on_option_changed)
            self._cover_fields[key] = edit
            row += 1
            self._form.insertRow(row, f"{key.replace('_', ' ').capitalize()}:", edit)
        # Tab goes from the cover page to its fields, in order, before whatever came next;
        # new widgets would otherwise join the end of the window's tab order.
        previous: QWidget = self.cover_combo
        for edit in self._cover_fields.values():
            QWidget.setTabOrder(previous, edit)
            previous = edit

    def set_defaults(self, defaults: SendingDefaults) -> None:
        """Show `defaults` (the settings' sending defaults) as the current options."""
        self._select_data(self.service_combo, defaults.service_id or None)
        self.from_combo.setEditText(defaults.from_number)
        self._select_data(self.resolution_combo, defaults.resolution)
        self._select_data(self.conversion_combo, defaults.image_conversion_method)
        self.header_edit.setText(defaults.header_text)
        self.page_numbers_check.setChecked(defaults.header_page_numbers)
        self.time_zone_combo.setEditText(defaults.header_time_zone)
        self.retries_spin.setValue(
            defaults.max_retries
            if defaults.max_retries is not None
            else self.retries_spin.minimum()
        )
        self.delay_spin.setValue(
            defaults.retry_delay_seconds
            if defaults.retry_delay_seconds is not None
            else self.delay_spin.minimum()
        )
        self._update_counter()

    # -- reading ---------------------------------------------------------------------------

    def service_id(self) -> str:
        data = self.service_combo.currentData()
        return data if isinstance(data, str) else ""

    def cover_choice(self) -> CoverChoice:
        data = self.cover_combo.currentData()
        return data if isinstance(data, CoverChoice) else CoverChoice()

    def cover_data(self) -> dict[str, str]:
        return {key: edit.text() for key, edit in self._cover_fields.items() if edit.text()}

    def problems(self) -> list[str]:
        """What keeps these options from being sent, in words; [] when they can be."""
        found: list[str] = []
        sender = self.from_combo.currentText().strip()
        if sender:
            try:
                fax_number(sender, self.default_region)
            except ValidationError as exc:
                found.append(f"Sender number: {exc}")
        zone = self.time_zone_combo.currentText().strip()
        if zone and self.time_zone_combo.count() > 1 and self.time_zone_combo.findText(zone) < 0:
            found.append(f"“{zone}” is not a time zone name; pick one from the list.")
        if self._full:
            try:
                parse_labels(self.labels_edit.text())
            except ValidationError as exc:
                found.append(str(exc))
        return found

    def sending_defaults(self) -> SendingDefaults:
        """The options as defaults for new faxes (for the settings)."""
        sender = self.from_combo.currentText().strip()
        try:
            from_number = fax_number(sender, self.default_region).e164 if sender else ""
        except ValidationError:
            from_number = ""
        retries = self.retries_spin.value()
        delay = self.delay_spin.value()
        return SendingDefaults(
            service_id=self.service_id(),
            from_number=from_number,
            resolution=_chosen(self.resolution_combo, Resolution),
            image_conversion_method=_chosen(self.conversion_combo, ImageConversionMethod),
            header_text=self.header_edit.text(),
            header_page_numbers=self.page_numbers_check.isChecked(),
            header_time_zone=self.time_zone_combo.currentText().strip(),
            max_retries=None if retries == self.retries_spin.minimum() else retries,
            retry_delay_seconds=None if delay == self.delay_spin.minimum() else delay,
        )

    def apply_to(self, request: SendRequest) -> SendRequest:
        """`request` with these options; an option left to the service stays unset.

        Call only when `problems()` is empty.
        """
        chosen = self.sending_defaults()
        cover = self.cover_choice()
        labels = parse_labels(self.labels_edit.text()) if self._full else {}
        return dataclasses.replace(
            request,
            service_id=chosen.service_id or None,
            from_=chosen.from_number or None,
            resolution=chosen.resolution,
            image_conversion_method=chosen.image_conversion_method,
            header_text=chosen.header_text or None,
            header_page_numbers=chosen.header_page_numbers,
            header_time_zone=chosen.header_time_zone or None,
            max_retries=chosen.max_retries,
            retry_delay_seconds=chosen.retry_delay_seconds,
            labels={**request.labels, **labels},
            cover_page_id=cover.id or None,
            cover_page_data=self.cover_data() if cover.id else {},
        )

    # -- handlers --------------------------------------------------------------------------

    def _on_header_edit_text_changed(self, _text: str) -> None:
        self._update_counter()
        self._on_option_changed()

    def _on_service_combo_changed(self, _index: int) -> None:
        self._fill_senders()
        self._on_option_changed()

    def _on_cover_combo_changed(self, *_args: object) -> None:
        self.set_cover_fields([])
        self.cover_changed.emit(self.cover_choice())
        self._on_option_changed()

    def _on_option_changed(self, *_args: object) -> None:
        problems = self.problems()
        self.problem_label.setText("\n".join(problems))
        self.problem_label.setVisible(bool(problems))
        self.changed.emit()

    # -- helpers ---------------------------------------------------------------------------

    def _label(self, text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text, self)
        label.setBuddy(buddy)
        return label

    def _update_counter(self) -> None:
        self.header_counter.setText(f"{len(self.header_edit.text())}/{HEADER_TEXT_MAX}")

    def _fill_services(self) -> None:
        self.service_combo.blockSignals(True)
        self.service_combo.clear()
        self.service_combo.addItem("Project default service", None)
        for service in self._services:
            name = service.name or service.id
            if service.default_for_project:
                name = f"{name} (project default)"
            self.service_combo.addItem(name, service.id)
        self.service_combo.blockSignals(False)
        self._fill_senders()

    def _fill_senders(self) -> None:
        """Offer the chosen service's number (or every service's) as sender numbers."""
        text = self.from_combo.currentText()
        chosen = self.service_id()
        numbers: list[str] = []
        for service in self._services:
            wanted = service.id == chosen or (not chosen and service.default_for_project)
            if service.default_from and wanted and service.default_from not in numbers:
                numbers.append(service.default_from)
        self.from_combo.blockSignals(True)
        self.from_combo.clear()
        for number in numbers:
            self.from_combo.addItem(display(number), number)
        self.from_combo.setEditText(text)
        self.from_combo.blockSignals(False)

    @staticmethod
    def _select_data(combo: QComboBox, data: object) -> None:
        index = combo.findData(data)
        combo.setCurrentIndex(index if index >= 0 else 0)


def _chosen(combo: QComboBox, kind: type[_E]) -> _E | None:
    # Qt hands enum item data back as a plain str.
    data = combo.currentData()
    return kind(data) if data else None


def _cover_choice_for(page: CoverPage) -> CoverChoice:
    return CoverChoice(id=page.id, service_id=page.service_id, name=page.name or page.id)
