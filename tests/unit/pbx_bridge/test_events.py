import pytest

from pbx_bridge import events as ev


def test_parses_a_dial_begin_with_both_channels() -> None:
    event = ev.parse_event(
        {
            "Event": "DialBegin",
            "Channel": "PJSIP/anonymous-00000001",
            "Uniqueid": "1700000000.1",
            "Linkedid": "1700000000.1",
            "CallerIDNum": "+79161234567",
            "DestChannel": "PJSIP/102-0000002a",
            "DestUniqueid": "1700000000.2",
            "DestLinkedid": "1700000000.1",
            "DialString": "102",
            "Timestamp": "1700000001.250000",
        },
        received_at=5.0,
    )
    assert isinstance(event, ev.DialBegin)
    assert event.ts == 1700000001.25
    assert event.caller is not None and event.caller.caller_num == "+79161234567"
    assert event.dest.device_extension() == "102"
    assert event.dest.linkedid == "1700000000.1"


def test_dial_begin_of_an_originated_channel_has_no_caller() -> None:
    event = ev.parse_event(
        {"Event": "DialBegin", "DestChannel": "PJSIP/101-00000001", "DestUniqueid": "u1"}, 1.0
    )
    assert isinstance(event, ev.DialBegin)
    assert event.caller is None
    assert event.ts == 1.0


@pytest.mark.parametrize(
    ("name", "extension"),
    [
        ("PJSIP/102-0000002a", "102"),
        ("PJSIP/web102-0000002b", "102"),  # the manager's browser softphone
        ("PJSIP/webadmin-0000002b", None),
        ("PJSIP/anonymous-00000001", None),
        ("PJSIP/trunk-000001f3", None),
        ("PJSIP/79161234567-00000001", None),  # too long for an extension
        ("SIP/102-0000002a", None),  # another technology
        ("Local/102@from-managers-00000001;1", None),
    ],
)
def test_device_extension(name: str, extension: str | None) -> None:
    assert ev.Channel(name, "u", "l").device_extension("PJSIP") == extension


def test_channel_variables_ride_on_events() -> None:
    event = ev.parse_event(
        {
            "Event": "Newstate",
            "Channel": "PJSIP/101-00000001",
            "Uniqueid": "u1",
            "Linkedid": "l1",
            "ChannelState": "6",
            "ChanVariable": ["MIXMONITOR_FILENAME=/var/spool/asterisk/monitor/u1.wav", "X=1=2"],
        }
    )
    assert isinstance(event, ev.Newstate)
    assert event.channel.variables == {
        "MIXMONITOR_FILENAME": "/var/spool/asterisk/monitor/u1.wav",
        "X": "1=2",
    }
    assert event.channel.state == 6


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ({}, "without an Event"),
        ({"Event": "Hangup", "Channel": "PJSIP/1-1"}, "Hangup without Uniqueid"),
        ({"Event": "DialEnd", "DestChannel": "X/1-1", "DestUniqueid": "u"}, "without DialStatus"),
        ({"Event": "BridgeEnter", "Channel": "X/1-1", "Uniqueid": "u"}, "without BridgeUniqueid"),
    ],
)
def test_malformed_events_say_what_is_missing(message: dict[str, str], error: str) -> None:
    with pytest.raises(ev.MalformedEvent, match=error):
        ev.parse_event(message)


def test_unknown_events_are_ignored() -> None:
    assert ev.parse_event({"Event": "RTCPSent", "Channel": "x"}) is None


def test_core_show_channel_duration() -> None:
    event = ev.parse_event(
        {
            "Event": "CoreShowChannel",
            "Channel": "PJSIP/101-1",
            "Uniqueid": "u",
            "Linkedid": "l",
            "Duration": "01:02:03",
            "BridgeId": "b",
        }
    )
    assert isinstance(event, ev.CoreShowChannel)
    assert event.duration_seconds == 3723
