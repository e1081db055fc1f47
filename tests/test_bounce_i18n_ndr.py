"""The sentences localized bounces (Exchange's and others') write for people, in other
languages than English, name the cause with the recipient in between ("Das Postfach des
Empfängers ist voll", "El buzón del destinatario está lleno") or in a sentence of their own
("Die eingegebene E-Mail-Adresse wurde nicht gefunden"): read as English's are."""

from __future__ import annotations

import pytest

from smtpdiag.core.classify import classify


@pytest.mark.parametrize(("text", "reason"), [
    ("Das Postfach des Empfängers ist voll und kann derzeit keine Nachrichten annehmen.",
     "mailbox-full"),
    ("El buzón del destinatario está lleno y no puede aceptar mensajes ahora.", "mailbox-full"),
    ("La cassetta postale del destinatario è piena.", "mailbox-full"),
    ("A caixa de correio do destinatário está cheia.", "mailbox-full"),
    ("Het postvak van de ontvanger is vol.", "mailbox-full"),
    ("Die eingegebene E-Mail-Adresse wurde nicht gefunden.", "user-unknown"),
    ("L'adresse de messagerie que vous avez entrée est introuvable.", "user-unknown"),
    ("No se encontró la dirección de correo electrónico que especificó.", "user-unknown"),
    ("Impossibile trovare l'indirizzo di posta elettronica immesso.", "user-unknown"),
    ("O endereço de email que você digitou não foi encontrado.", "user-unknown"),
    ("Het e-mailadres dat u hebt ingevoerd, is niet gevonden.", "user-unknown"),
])
def test_a_localized_sentence_names_its_cause(text, reason):
    found = classify(text)["reason"]
    assert (found["name"], found["decided_by"]) == (reason, "text")


@pytest.mark.parametrize("text", [
    "Der Server des Empfängers hat die Verbindung abgelehnt.",  # names no full mailbox
    "Votre message a été remis.",
])
def test_other_localized_sentences_are_not_read_so(text):
    assert classify(text)["reason"]["name"] not in ("mailbox-full", "user-unknown")
