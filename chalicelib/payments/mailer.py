"""Emails to drivers (receipts) through Amazon SES; moto's SES locally and in the tests."""
from __future__ import annotations

from typing import Any


class SesMailer:
    def __init__(self, sender: str, client: Any = None) -> None:
        self._sender = sender
        self._client = client

    def send(self, to: str, subject: str, text: str) -> str:
        """The message id SES gave the email."""
        if self._client is None:
            import boto3

            self._client = boto3.client("ses")
        answer = self._client.send_email(
            Source=self._sender, Destination={"ToAddresses": [to]},
            Message={"Subject": {"Data": subject, "Charset": "UTF-8"},
                     "Body": {"Text": {"Data": text, "Charset": "UTF-8"}}},
        )
        return str(answer["MessageId"])
