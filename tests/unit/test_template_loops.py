"""Template loops and money: the sandboxed `{{ for }}` language, typed names, lint."""

from decimal import Decimal

import pytest

from shared.domain.basics.money_format import format_money
from shared.domain.core.config import MessageTemplate
from shared.domain.messaging.template_lint import sample_render, template_errors, template_warnings
from shared.domain.messaging.templates import MAX_LOOP_ITEMS, TemplateError, parse_template

NBSP = "\u00a0"


def _line(name, amount="1.00", **more):
    return {"name": name, "price": {"amount": Decimal(amount), "currency": "EUR"}, **more}


def test_a_loop_repeats_its_body_for_each_element_with_the_loop_variable_naming_it():
    template = parse_template("{{ for item in cart.items }}[{{ item.name }}]{{ end }}")
    values = {"cart": {"items": [_line("a"), _line("b")]}}
    assert template.render(values) == "[a][b]"


def test_names_inside_a_loop_are_reported_as_fields_of_the_list_for_type_checking():
    template = parse_template(
        "{{ first_name }} {{ for p in recommendations }}{{ p.name }} {{ p.price }}{{ end }}"
    )
    assert template.variables == {
        "first_name",
        "recommendations[].name",
        "recommendations[].price",
    }
    assert template.lists == {"recommendations"}
    assert template.roots == {"first_name", "recommendations"}


def test_the_else_part_shows_when_the_list_is_empty_missing_or_not_a_list_of_mappings():
    template = parse_template("{{ for p in recommendations }}{{ p.name }}{{ else }}none{{ end }}")
    assert template.render({}) == "none"
    assert template.render({"recommendations": []}) == "none"
    assert template.render({"recommendations": "a string is not a list"}) == "none"
    assert template.render({"recommendations": [1, "x", None]}) == "none"


def test_a_loop_shows_at_most_the_bounded_number_of_elements():
    template = parse_template("{{ for p in recommendations }}x{{ end }}")
    values = {"recommendations": [_line(str(i)) for i in range(MAX_LOOP_ITEMS + 5)]}
    assert template.render(values) == "x" * MAX_LOOP_ITEMS


def test_values_inside_loops_are_html_escaped_in_html_parts():
    template = parse_template("{{ for p in recommendations }}<b>{{ p.name }}</b>{{ end }}")
    values = {"recommendations": [_line("<script>alert(1)</script>")]}
    assert template.render(values, html=True) == ("<b>&lt;script&gt;alert(1)&lt;/script&gt;</b>")


def test_money_is_written_for_the_locale_and_other_mappings_count_as_missing():
    template = parse_template('{{ product.price | "?" }} / {{ product.other | "?" }}')
    values = {
        "product": {
            "price": {"amount": "1234.5", "currency": "EUR"},
            "other": {"amount": "1", "currency": "EUR", "extra": True},
        }
    }
    assert template.render(values, locale="en-GB") == "€1,234.50 / ?"
    assert template.render(values, locale="de-DE") == f"1.234,50{NBSP}€ / ?"


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "shown"),
    [
        ("24.9", "EUR", "en", "€24.90"),
        ("24.9", "EUR", "fr-FR", f"24,90{NBSP}€"),
        ("1234567.891", "UAH", "uk-UA", f"1{NBSP}234{NBSP}567,89{NBSP}₴"),
        ("1500", "JPY", "ja", "¥1,500"),
        ("0.005", "USD", "en-US", "$0.01"),
        ("12.5", "CHF", "en", f"CHF{NBSP}12.50"),
        ("12.5", "CHF", "de-CH", f"CHF{NBSP}12.50"),
        ("-3", "GBP", None, "-£3.00"),
    ],
)
def test_prices_follow_the_conventions_of_the_language(amount, currency, locale, shown):
    assert format_money(Decimal(amount), currency, locale) == shown


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ for item in cart.items }}open", "is not closed: add {{ end }}"),
        ("{{ end }}", "{{ end }} without an open {{ for ... }}"),
        ("{{ for item cart.items }}{{ end }}", "a loop opens with {{ for item in cart.items }}"),
        ("{{ for Item in cart.items }}{{ end }}", "invalid loop variable 'Item'"),
        ("{{ for a in x }}{{ for a in y }}{{ end }}{{ end }}", "already used by an outer loop"),
        (
            "{{ for a in x }}{{ for b in y }}{{ for c in z }}{{ end }}{{ end }}{{ end }}",
            "loops nest at most 2 deep",
        ),
        ("{{ for a in x }}{{ else }}{{ else }}{{ end }}", "at most one {{ else }}"),
        ("{{#each cart.items}}x{{/each}}", "block tags like {{#each}} are not supported"),
        ("{% for x in y %}", "to repeat over a list write {{ for item in cart.items }}"),
    ],
)
def test_malformed_loops_are_refused_with_the_place_and_the_way_to_write_them(source, message):
    with pytest.raises(TemplateError) as caught:
        parse_template(source)
    assert message in caught.value.message


def _template(text, channel="email", subject="S"):
    return {"template_id": "t", "channel": channel, "subject": subject, "text": text}


def test_a_template_may_loop_only_over_the_typed_lists_and_read_only_their_fields():
    MessageTemplate.model_validate(
        _template("{{ for i in cart.items }}{{ i.name }} x{{ i.quantity }}{{ end }}")
    )
    with pytest.raises(ValueError, match=r"'player\.segments'\] is not one of"):
        MessageTemplate.model_validate(_template("{{ for s in player.segments }}x{{ end }}"))
    with pytest.raises(ValueError, match=r"unknown variables \['cart.items\[\].password'\]"):
        MessageTemplate.model_validate(
            _template("{{ for i in cart.items }}{{ i.password }}{{ end }}")
        )
    with pytest.raises(ValueError, match=r"unknown variables \['recommendations'\]"):
        MessageTemplate.model_validate(_template("{{ recommendations }}"))


def test_lint_estimates_lengths_with_sample_lists_and_warns_of_loops_in_short_channels():
    text = "{{ for p in recommendations }}{{ p.name }} {{ end }}"
    assert sample_render(text).count("Espresso beans 1 kg") == 4
    warnings = template_warnings("sms", [("text", text)])
    assert any("repeats over recommendations" in str(w) for w in warnings)
    assert template_warnings("email", [("text", text)]) == []


def test_lint_sees_other_tools_placeholders_inside_a_loop_body():
    found = template_errors("email", [("text", "{{ for p in recommendations }}*|FNAME|*{{ end }}")])
    assert any("Mailchimp" in str(f) for f in found)
