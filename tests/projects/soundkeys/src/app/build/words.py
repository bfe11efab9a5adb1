"""The greeting word."""

GREETING = "hello"
