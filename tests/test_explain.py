"""explain and compare: lookups, provider matches and their conflicts, unknown and bad codes."""

from __future__ import annotations

import pytest

from smtpdiag.core.compare import compare
from smtpdiag.core.explain import explain
from smtpdiag.errors import UsageError
from tests.conftest import assert_valid


def only(result: dict) -> dict:
    assert len(result["items"]) == 1
    return result["items"][0]


def test_basic_code_is_explained_from_the_catalogue():
    item = only(explain("550"))
    assert item["basic"]["code"] == 550 and item["basic"]["known"]
    assert item["basic"]["class"] == 5
    assert item["basic"]["class_name"] == "Permanent Negative Completion"
    assert item["enhanced"] is None


def test_enhanced_code_is_explained_from_the_registry():
    item = only(explain("5.7.1"))
    assert item["enhanced"]["registry_code"] == "X.7.1"
    assert item["enhanced"]["registered"] is True
    assert item["basic"] is None


def test_unregistered_enhanced_code_is_read_by_its_parts():
    item = only(explain("5.7.606"))
    view = item["enhanced"]
    assert view["registered"] is False
    assert view["subject_name"] == "Security or Policy Status"
    assert item["notes"] and "not in the registry" in item["notes"][0]


def test_unknown_but_well_formed_basic_code_is_explained_by_its_digits():
    item = only(explain("259"))
    assert item["basic"]["known"] is False
    assert item["basic"]["class"] == 2
    assert "mail system" in item["basic"]["description"]


@pytest.mark.parametrize(("bad", "message"), [
    ("699", r"^699 is not a valid SMTP reply code: the first digit must be 2-5 and the second 0-5"),
    ("160", r"^160 is not a valid SMTP reply code"),
    ("2500", r"^no SMTP reply code.* found in '2500'$"),
    ("5.9.9.9", r"^no SMTP reply code.* found in '5\.9\.9\.9'$"),
    ("7.1.1", r"^7\.1\.1 is not a valid enhanced status code: the class must be 2, 4 or 5"),
    ("", r"^nothing to explain: give a code \(550, 5\.7\.1\) or a reply text$"),
    ("   ", r"^nothing to explain"),
])
def test_malformed_input_is_a_usage_error(bad, message):
    with pytest.raises(UsageError, match=message):
        explain(bad)


def test_full_reply_text_gives_basic_enhanced_and_provider():
    item = only(explain("550 5.7.1 <a@b.example>: Relay access denied"))
    assert item["reply"]["code"] == 550
    assert item["basic"]["code"] == 550
    assert item["enhanced"]["code"] == "5.7.1"
    assert item["provider"] is not None
    assert "relay" in item["provider"]["name"].lower()


def test_multi_line_bounce_is_one_reply():
    text = ("550-5.7.26 This mail has been blocked because the sender is unauthenticated.\n"
            "550-5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM.\n"
            "550 5.7.26 Learn more. x1-20020a17.123 - gsmtp\n")
    item = only(explain(text))
    assert item["provider"]["provider"] == "Gmail"
    assert item["enhanced"]["code"] == "5.7.26"


def test_gmail_4_7_27_is_about_spf_not_null_mx():
    text = ("421-4.7.27 Your email has been rate limited because SPF authentication didn't pass"
            " for this message. gsmtp")
    item = only(explain(text))
    assert item["provider"] is not None and item["provider"]["provider"] == "Gmail"
    assert item["provider"]["overrides_registry"] is True
    assert "SPF" in item["provider"]["description"] + item["provider"]["name"]
    assert any("registry" in note for note in item["notes"])


def test_microsoft_5_4_1_is_relay_denied():
    text = ("550 5.4.1 Recipient address rejected: Access denied. AS(201806281) "
            "[DM6NAM12FT035.eop-nam12.prod.protection.outlook.com]")
    item = only(explain(text))
    assert item["provider"] is not None
    assert item["provider"]["overrides_registry"] is True
    assert item["enhanced"]["registry_code"] == "X.4.1"


def test_plain_postfix_reply_without_provider_text_has_no_gmail_match():
    item = only(explain("250 2.0.0 Ok: queued as 4F1X2Y"))
    assert item["provider"] is None


def test_explain_json_matches_schema_for_every_kind():
    for query in ("550", "5.7.1", "5.7.606", "259", "550 5.7.1 Relay access denied",
                  "421-4.7.0 Try again later\n421 4.7.0 closing gsmtp"):
        assert_valid(explain(query), "explain")


@pytest.mark.parametrize("lang", ["en", "id", "vi", "zh", "tr"])
def test_compare_in_every_language(lang):
    result = compare("211", "250", lang)
    assert_valid(result, "compare")
    assert result["category"] == ("Both SMTP 211 (System Status) and 250 (OK) belong to the "
                                  "2xx Positive Completion category.")
    assert result["sides"][0]["class_name"] == result["sides"][1]["class_name"]
    assert len(result["differences"]) == 3
    assert all(side["references"] for side in result["sides"])


def test_compare_across_classes_uses_the_while_sentence():
    result = compare("211", "500")
    assert result["category"].startswith("SMTP 211 (System Status) is a 2xx Positive "
                                         "Completion response, while 500")
    assert "5xx Permanent Negative Completion" in result["differences"][0]
    assert not any("when when" in line for line in result["differences"])


def test_compare_enhanced_and_basic():
    result = compare("4.2.0", "550", "tr")
    assert_valid(result, "compare")
    assert result["same_class"] is False
    assert result["sides"][0]["kind"] == "enhanced"


def test_compare_rejects_malformed_codes():
    with pytest.raises(UsageError, match=r"^999 is not a valid SMTP reply code"):
        compare("211", "999")


def test_a_registered_code_in_an_unusual_class_says_so():
    item = only(explain("2.1.1"))
    assert item["enhanced"]["registered"] is True
    assert item["enhanced"]["usual_class"] is False
    assert any("lists X.1.1 with replies 451, 550, none of class 2" in note
               for note in item["notes"])


@pytest.mark.parametrize("reply", ["450 4.7.1 Client host rejected: cannot find your hostname",
                                   "450 4.1.1 <bob@example.org>: Recipient address rejected",
                                   "451 4.7.1 Please try again later"])
def test_everyday_transient_codes_get_no_class_note(reply):
    """The registry lists X.7.1 with 451/454 and X.1.1 with 451: class 4 is expected."""
    item = only(explain(reply))
    assert item["enhanced"]["usual_class"] is True
    assert not any("registry lists" in note for note in item["notes"])
