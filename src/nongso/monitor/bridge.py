"""The MQTT bridge: subscribes to the broker, buffers, and ingests in batches.

An adapter: it receives messages (paho-mqtt's network thread only appends them to a buffer),
and a flusher thread hands the buffer to ONE service call, ``services.ingest_messages``, that
writes the whole batch in one transaction. Then, and only then, the messages are
acknowledged (manual PUBACK), so a crash between receiving and committing loses nothing: the
broker delivers them again. The session is persistent (clean session off, QoS 1) under a
fixed client id, so messages sent while the platform restarts wait in the broker.

A batch is flushed when the buffer holds ``max_batch`` readings, ``flush_ms`` after its
first message, or as soon as the broker pauses (``idle_ms`` without a message: the broker
waits for acknowledgements once its in-flight window is full). The consumer never stops for
a bad message: unreadable ones are counted and logged with their device, a batch that fails
for another reason than the database being unavailable is retried message by message and
the message at fault is counted, logged and dropped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy.exc import OperationalError

from nongso.core import clock
from nongso.core.permissions import SYSTEM
from nongso.core.platform import Platform
from nongso.monitor import mqtt_config, services
from nongso.monitor.ratelimit import RateLimiter
from nongso.monitor.schemas import BridgeStatus

log = logging.getLogger("nongso.monitor.mqtt")


@dataclass(frozen=True)
class BrokerUrl:
    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool


def parse_url(url: str) -> BrokerUrl:
    """``mqtt://user:password@host:1883`` (``mqtts://`` for TLS, default port 8883)."""
    parsed = urlparse(url)
    if parsed.scheme not in ("mqtt", "mqtts", "tcp", "ssl") or not parsed.hostname:
        raise ValueError(f"not an MQTT URL: {public_url(url)!r} (expected mqtt://host:port)")
    tls = parsed.scheme in ("mqtts", "ssl")
    return BrokerUrl(
        parsed.hostname, parsed.port or (8883 if tls else 1883),
        unquote(parsed.username) if parsed.username else None,
        unquote(parsed.password) if parsed.password else None, tls,
    )


def public_url(url: str) -> str:
    """The URL without its password."""
    parsed = urlparse(url)
    if parsed.password is None:
        return url
    netloc = parsed.hostname or ""
    if parsed.username:
        netloc = f"{parsed.username}:***@{netloc}"
    if parsed.port:
        netloc += f":{parsed.port}"
    return parsed._replace(netloc=netloc).geturl()


@dataclass
class _Pending:
    topic: str
    payload: bytes
    mid: int
    qos: int


class MqttBridge:
    def __init__(
        self,
        platform: Platform,
        url: str,
        *,
        client_id: str = "nongso-platform",
        prefix: str = "",
        limiter: RateLimiter | None = None,
        flush_ms: int = 100,
        idle_ms: int = 5,
        max_batch: int = 50_000,
        keepalive: int = 30,
        after_flush: Callable[[services.MessagesOutcome], None] | None = None,
    ) -> None:
        self.platform = platform
        self.url = url
        self.broker = parse_url(url)
        self.client_id = client_id
        self.prefix = prefix
        self.topics = mqtt_config.subscriptions(prefix)
        self.limiter = limiter
        self.flush_s = flush_ms / 1000
        self.idle_s = idle_ms / 1000
        self.max_batch = max_batch
        self.keepalive = keepalive
        self.after_flush = after_flush
        self._lock = threading.Condition()
        self._pending: list[_Pending] = []
        self._pending_bytes = 0
        self._first_at = 0.0
        self._last_at = 0.0
        self._stop = threading.Event()
        self._flusher: threading.Thread | None = None
        self._state = "connecting"
        self._subscribed = threading.Event()
        self._last_error: str | None = None
        self.received = self.stored = self.duplicates = self.bad_quality = 0
        self.malformed = self.flushes = 0
        self.rejected: Counter[str] = Counter()
        self.last_flush_at = None
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False,
            protocol=mqtt.MQTTv311, manual_ack=True,
        )
        if self.broker.username:
            self._client.username_pw_set(self.broker.username, self.broker.password)
        if self.broker.tls:
            self._client.tls_set()
        self._client.reconnect_delay_set(1, 30)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_subscribe = self._on_subscribe
        self._client.on_connect_fail = self._on_connect_fail

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background (the app starts even if the broker is down)."""
        self._stop.clear()
        self._flusher = threading.Thread(target=self._run_flusher, name="mqtt-flusher",
                                         daemon=True)
        self._flusher.start()
        try:
            self._client.connect_async(self.broker.host, self.broker.port, self.keepalive)
        except (OSError, ValueError) as exc:
            self._state, self._last_error = "disconnected", str(exc)
        self._client.loop_start()

    def wait_subscribed(self, timeout: float) -> bool:
        return self._subscribed.wait(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Flush what is buffered, then disconnect."""
        self._stop.set()
        with self._lock:
            self._lock.notify_all()
        if self._flusher is not None:
            self._flusher.join(timeout)
        self._client.disconnect()
        self._client.loop_stop()
        self._state = "disconnected"

    # --- paho callbacks (network thread: no database here) -----------------------------

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: object,
                    reason: object, properties: object) -> None:
        if getattr(reason, "is_failure", False):
            self._state, self._last_error = "disconnected", f"connect refused: {reason}"
            log.error("MQTT broker %s refused the connection: %s", public_url(self.url), reason)
            return
        self._state, self._last_error = "connected", None
        client.subscribe([(t, 1) for t in self.topics])
        log.info("MQTT bridge connected to %s as %s", public_url(self.url), self.client_id)

    def _on_connect_fail(self, client: mqtt.Client, userdata: object) -> None:
        self._state = "disconnected"
        self._last_error = f"cannot connect to {self.broker.host}:{self.broker.port}"
        log.warning("MQTT broker %s unreachable; retrying", public_url(self.url))

    def _on_subscribe(self, client: mqtt.Client, userdata: object, mid: int,
                      reasons: object, properties: object) -> None:
        self._subscribed.set()

    def _on_disconnect(self, client: mqtt.Client, userdata: object, flags: object,
                       reason: object, properties: object) -> None:
        self._subscribed.clear()
        if not self._stop.is_set():
            self._state = "disconnected"
            self._last_error = f"disconnected: {reason}"
            log.warning("MQTT bridge disconnected from %s (%s); reconnecting",
                        public_url(self.url), reason)

    def _on_message(self, client: mqtt.Client, userdata: object,
                    message: mqtt.MQTTMessage) -> None:
        now = time.monotonic()
        with self._lock:
            if not self._pending:
                self._first_at = now
            self._last_at = now
            self._pending.append(_Pending(message.topic, bytes(message.payload), message.mid,
                                          message.qos))
            self._pending_bytes += len(message.payload)
            self.received += 1
            # A reading takes ~30 bytes in the compact form: flush before the batch is huge.
            if self._pending_bytes // 30 >= self.max_batch:
                self._lock.notify()

    # --- flushing -------------------------------------------------------------------------

    def _due(self, now: float) -> bool:
        if not self._pending:
            return False
        return (self._pending_bytes // 30 >= self.max_batch
                or now - self._first_at >= self.flush_s
                or now - self._last_at >= self.idle_s)

    def _run_flusher(self) -> None:
        while True:
            with self._lock:
                while not self._stop.is_set() and not self._due(time.monotonic()):
                    self._lock.wait(self.idle_s if self._pending else 0.5)
                batch, self._pending, self._pending_bytes = self._pending, [], 0
            if batch:
                self._flush(batch)
            if self._stop.is_set():
                with self._lock:
                    rest, self._pending = self._pending, []
                if rest:
                    self._flush(rest)
                return

    def _flush(self, batch: list[_Pending]) -> None:
        messages = [services.InboundMessage(p.topic, p.payload) for p in batch]
        delay = 0.5
        while True:
            try:
                outcome = services.ingest_messages(
                    self.platform.uow(SYSTEM), messages, limiter=self.limiter,
                    prefix=self.prefix)
                break
            except OperationalError as exc:  # the database is unavailable: keep, retry
                self._last_error = f"database: {exc.__class__.__name__}"
                log.error("MQTT batch of %d not stored (database unavailable), retrying: %s",
                          len(batch), exc)
                if self._stop.wait(delay):
                    return  # not acknowledged: the broker delivers them again
                delay = min(delay * 2, 30)
            except Exception:
                log.exception("MQTT batch of %d failed; retrying message by message",
                              len(batch))
                outcome = self._one_by_one(batch)
                break
        self._account(outcome)
        for p in batch:
            if p.qos > 0:
                self._client.ack(p.mid, p.qos)
        if self.after_flush is not None:
            try:
                self.after_flush(outcome)
            except Exception:
                log.exception("after-flush hook failed")

    def _one_by_one(self, batch: list[_Pending]) -> services.MessagesOutcome:
        total = services.MessagesOutcome(received=len(batch))
        for p in batch:
            try:
                one = services.ingest_messages(
                    self.platform.uow(SYSTEM), [services.InboundMessage(p.topic, p.payload)],
                    limiter=self.limiter, prefix=self.prefix)
            except Exception as exc:
                total.rejected["failed"] += 1
                total.problems.append((p.topic, "failed", f"{exc.__class__.__name__}: {exc}"))
                log.exception("MQTT message on %s dropped after an error", p.topic)
                continue
            total.stored += one.stored
            total.duplicates += one.duplicates
            total.bad_quality += one.bad_quality
            total.malformed += one.malformed
            total.rejected.update(one.rejected)
            total.problems.extend(one.problems)
        return total

    def _account(self, outcome: services.MessagesOutcome) -> None:
        self.flushes += 1
        self.stored += outcome.stored
        self.duplicates += outcome.duplicates
        self.bad_quality += outcome.bad_quality
        self.malformed += outcome.malformed
        self.rejected.update(outcome.rejected)
        self.last_flush_at = clock.now()  # type: ignore[assignment]
        for who, code, message in outcome.problems[:20]:
            log.warning("MQTT reading refused from %s: %s (%s)", who, code, message)
        if len(outcome.problems) > 20:
            log.warning("... and %d more refusals in this batch", len(outcome.problems) - 20)

    # --- status ---------------------------------------------------------------------------

    def status(self) -> BridgeStatus:
        state = self._state if self._state in ("connecting", "connected", "disconnected") \
            else "disconnected"
        reason_vi = reason_en = None
        if state != "connected":
            reason_vi = (f"Không kết nối được máy chủ MQTT {public_url(self.url)}; đang thử lại. "
                         "Dữ liệu vẫn nhận qua HTTP.")
            reason_en = (f"Cannot reach the MQTT broker {public_url(self.url)}; retrying. "
                         "Data is still accepted over HTTP.")
        return BridgeStatus(
            state=state,
            reason_vi=reason_vi, reason_en=reason_en, broker=public_url(self.url),
            client_id=self.client_id, topics=self.topics, received=self.received,
            stored=self.stored, duplicates=self.duplicates, bad_quality=self.bad_quality,
            rejected=dict(self.rejected), malformed=self.malformed, flushes=self.flushes,
            last_flush_at=self.last_flush_at, last_error=self._last_error,
        )
