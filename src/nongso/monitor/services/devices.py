"""Devices: registering one (its key, its MQTT password hash, its Things), the MQTT
bridge's state, the broker's password file, ACL and configuration.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select

from nongso.accounts import services as accounts
from nongso.accounts.schemas import DeviceCreate
from nongso.core.errors import FieldError, ValidationFailed
from nongso.core.permissions import Principal, require_role
from nongso.core.uow import UnitOfWork
from nongso.monitor import mqtt_config, runtime
from nongso.monitor.config import monitor_settings
from nongso.monitor.models import Datastream, MqttCredential, Thing
from nongso.monitor.schemas import BridgeStatus, DeviceRegister, DeviceRegistered
from nongso.monitor.sta_write import require_manage, require_officer


def register_device(uow: UnitOfWork, data: DeviceRegister) -> DeviceRegistered:
    """Create a device (its key shown once), store its MQTT password hash and link it to its
    Things; the officer must manage every Thing."""
    require_officer(uow.principal)
    prefix = monitor_settings().mqtt_topic_prefix
    with uow:
        s = uow.session
        things = []
        for thing_id in data.thing_ids:
            thing = s.get(Thing, thing_id)
            if thing is None:
                raise ValidationFailed(
                    f"Không có Thing mã {thing_id}.", f"There is no Thing {thing_id}.",
                    [FieldError("thing_ids", "Không tồn tại", "Does not exist")])
            require_manage(uow.principal, thing)
            things.append(thing)
        device = accounts.create_device(uow, DeviceCreate(
            name=data.name, unit_code=data.unit_code, organisation_id=data.organisation_id))
        s.add(MqttCredential(device_id=device.id, username=device.name,
                             password_hash=mqtt_config.mosquitto_hash(device.api_key)))
        for thing in things:
            thing.device_id = device.id
        s.flush()
        ds_ids = list(s.scalars(select(Datastream.id).where(
            Datastream.thing_id.in_([t.id for t in things])).order_by(Datastream.id)))
        uow.commit()
    topics = [mqtt_config.device_topic(device.name, prefix)] + [
        mqtt_config.datastream_topic(i, prefix) for i in ds_ids]
    return DeviceRegistered(id=device.id, name=device.name, api_key=device.api_key,
                            mqtt_username=device.name, thing_ids=[t.id for t in things],
                            topics=topics)


_BRIDGE_STAFF = ("province_officer", "commune_officer", "inspector")


def bridge_status(principal: Principal) -> BridgeStatus:
    """The state of this process's MQTT bridge (``off`` when none runs), for the pages: the
    broker's address, client id and topics for signed-in staff only, the state for others."""
    status = runtime.bridge_status()
    if principal.is_admin or principal.role in _BRIDGE_STAFF:
        return status
    return BridgeStatus(state=status.state)


def bridge_details(principal: Principal) -> BridgeStatus:
    """The MQTT bridge in full (broker, client id, counters): signed-in staff only."""
    require_role(principal, *_BRIDGE_STAFF)
    return runtime.bridge_status()


@dataclass(frozen=True)
class MqttConfigFiles:
    passwd: str
    acl: str
    conf: str
    devices_without_password: list[str]


def issue_mqtt_passwords(uow: UnitOfWork, names: list[str] | None = None) -> dict[str, str]:
    """New random MQTT passwords for devices (all, or those named): their hashes replace the
    stored ones and the passwords are returned once (a local broker the platform runs itself,
    as the demo does; a real device keeps its API key)."""
    require_role(uow.principal, "admin")
    out: dict[str, str] = {}
    with uow:
        stmt = select(MqttCredential).order_by(MqttCredential.username)
        if names is not None:
            stmt = stmt.where(MqttCredential.username.in_(names))
        for cred in uow.session.scalars(stmt):
            password = "nsm_" + secrets.token_urlsafe(18)
            cred.password_hash = mqtt_config.mosquitto_hash(password)
            out[cred.username] = password
        uow.commit()
    return out


def mqtt_configuration(uow: UnitOfWork, platform_password: str, directory: str,
                       port: int = 1883, *, bind: str = "0.0.0.0",
                       persistence_dir: str = "/var/lib/mosquitto/", run_as: str | None = None,
                       log_file: str | None = None) -> MqttConfigFiles:
    """The broker's password file, ACL and configuration for every registered device."""
    require_role(uow.principal, "admin")
    prefix = monitor_settings().mqtt_topic_prefix
    with uow:
        s = uow.session
        creds = list(s.scalars(select(MqttCredential).order_by(MqttCredential.username)))
        ds_by_device: dict[int, list[int]] = {}
        for device_id, ds_id in s.execute(
            select(Thing.device_id, Datastream.id).join(Datastream,
                                                        Datastream.thing_id == Thing.id)
            .where(Thing.device_id.is_not(None))
        ):
            if device_id is not None:
                ds_by_device.setdefault(device_id, []).append(ds_id)
        with_creds = {c.device_id for c in creds}
        missing = [d.name for d in accounts.all_devices(uow) if d.id not in with_creds]
        devices = [mqtt_config.DeviceTopics(c.username, c.password_hash,
                                            ds_by_device.get(c.device_id, [])) for c in creds]
    return MqttConfigFiles(
        passwd=mqtt_config.render_passwd(mqtt_config.mosquitto_hash(platform_password),
                                         devices),
        acl=mqtt_config.render_acl(devices, prefix),
        conf=mqtt_config.render_conf(directory, port, bind, persistence_dir, run_as, log_file),
        devices_without_password=missing,
    )
