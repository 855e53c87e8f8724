"""``skillbot notify send|status|resend``: queue a notice for the subscribed chats, follow its
delivery, queue it again for the chats it failed for.

The CLI only writes to and reads from the database; the running bot (any instance) delivers.
Times on the command line and on screen are Beijing time (Asia/Shanghai), stored as UTC.  A
notice is refused when its text is empty or invisible or longer than three messages (counted as
Telegram counts), or when ``--at`` is more than a day in the past or more than a year ahead; a
time earlier today is sent at once, and says so.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.render import notice_counts
from bot.store.state import TOPICS, NoticeStatus, Store, utcnow
from bot.telegram.formatting import NoticeTextError, check_notice_text

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
_AT_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")
STALL_HINT_SECONDS = 30.0
AT_PAST_LIMIT = timedelta(days=1)
AT_FUTURE_LIMIT = timedelta(days=366)


def parse_at(value: str) -> datetime:
    """Parse ``--at`` (Beijing time unless an offset is given) into naive UTC.

    >>> parse_at("2024-03-01 09:00")
    datetime.datetime(2024, 3, 1, 1, 0)
    """
    value = value.strip()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        for fmt in _AT_FORMATS:
            try:
                moment = datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
        else:
            raise ValueError(f'无法识别的时间 {value!r}，例如 "2024-03-01 09:00"') from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    try:
        return moment.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:  # 0001-01-01 00:00 in Beijing is before the first UTC datetime
        raise ValueError(f"时间 {value!r} 超出范围") from None


def check_send_at(send_at: datetime, now: datetime) -> str | None:
    """Refuse a time more than a day past or a year ahead; a note for a time already past.

    >>> check_send_at(datetime(2024, 3, 1, 8, 0), datetime(2024, 3, 1, 9, 0))
    '指定时间已过，立即发送'
    """
    if send_at < now - AT_PAST_LIMIT:
        raise ValueError(f"--at {local_time(send_at)} 已过去一天以上；请检查日期")
    if send_at > now + AT_FUTURE_LIMIT:
        raise ValueError(f"--at {local_time(send_at)} 在一年以后；请检查日期")
    return "指定时间已过，立即发送" if send_at < now else None


def local_time(moment: datetime) -> str:
    """Render a stored UTC time in Beijing time."""
    return moment.replace(tzinfo=UTC).astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def progress_line(status: NoticeStatus) -> str:
    """One line of counts, as the admin's /notify message shows them: 已送达 N / 失败 M /
    等待 K (of total)."""
    return f"通知 #{status.notice_id}：{notice_counts(status)}"


def describe(status: NoticeStatus) -> str:
    """The full status of one notice, failure reasons included."""
    preview = status.text if len(status.text) <= 60 else status.text[:59] + "…"
    lines = [
        progress_line(status),
        f"  主题：{status.topic}　排队：{local_time(status.created_at)}"
        f"　发送时间：{local_time(status.send_at)}",
        f"  内容：{preview}",
    ]
    if status.failures:
        lines.append("  失败原因：")
        lines.extend(f"    {count} × {reason}" for reason, count in status.failures)
    return "\n".join(lines)


def _send(store: Store, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        text = check_notice_text(args.text)
    except NoticeTextError as error:
        print(f"skillbot notify send: {error}", file=err)
        return 2
    if args.topic not in TOPICS:
        print(f"未知主题 {args.topic!r}；可用：{'、'.join(TOPICS)}", file=err)
        return 2
    note = None
    try:
        send_at = parse_at(args.at) if args.at else None
        if send_at is not None:
            note = check_send_at(send_at, utcnow())
    except ValueError as error:
        print(f"skillbot notify send: {error}", file=err)
        return 2
    if note is not None:
        print(note, file=out)
        send_at = None
    notice_id, queued = store.queue_notice(text, args.topic, send_at, created_by="cli")
    when = f"，{local_time(send_at)} 发送" if send_at else ""
    print(f"通知 #{notice_id} 已排队：{queued} 个订阅（主题 {args.topic}）{when}", file=out)
    if queued == 0:
        print("没有匹配的订阅，不会发送。", file=out)
        return 0
    if not args.wait:
        print(f"由运行中的机器人发送；查看进度：skillbot notify status {notice_id}", file=out)
        return 0
    return wait_for_notice(store, notice_id, out)


DELIVERER_SEEN = timedelta(seconds=15)  # an instance whose heartbeat is older is not delivering


def wait_for_notice(
    store: Store,
    notice_id: int,
    out: TextIO,
    *,
    interval: float = 1.0,
    timeout: float | None = None,
) -> int:
    """Print progress until nothing is pending; 0 when all delivered, 1 if any failed."""
    started = last_change = time.monotonic()
    shown = ""
    hinted = False
    tty = out.isatty()
    if store.live_deliverers(within=DELIVERER_SEEN) == 0:
        # nothing would move: say so at once instead of waiting silently
        print(
            "没有正在运行的投递实例（skillbot run 未运行，或 SKILLBOT_DELIVERY=0）；"
            "通知已排队，机器人运行后会发送。",
            file=out,
        )
        hinted = True
    while True:
        status = store.notice_status(notice_id)
        if status is None:
            print(f"没有通知 #{notice_id}", file=out)
            return 1
        line = progress_line(status)
        if line != shown:
            print(("\r" if tty else "") + line, end="" if tty else "\n", file=out, flush=True)
            shown, last_change = line, time.monotonic()
        if status.done:
            if tty:
                print(file=out)
            print(describe(status), file=out)
            return 1 if status.failed else 0
        waited = time.monotonic() - last_change
        if not hinted and waited > STALL_HINT_SECONDS and status.send_at <= utcnow():
            print("\n（一段时间没有进展：机器人是否在运行？Ctrl-C 退出，通知仍会发送）", file=out)
            hinted = True
        if timeout is not None and time.monotonic() - started > timeout:
            return 3
        time.sleep(interval)


def _status(store: Store, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.id is not None:
        status = store.notice_status(args.id)
        if status is None:
            print(f"没有通知 #{args.id}", file=err)
            return 1
        print(describe(status), file=out)
        return 0
    statuses = store.recent_notices()
    if not statuses:
        print("还没有通知。", file=out)
    for status in statuses:
        print(
            f"{progress_line(status)}　{status.topic}　{local_time(status.created_at)}", file=out
        )
    return 0


def _resend(store: Store, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if store.notice_status(args.id) is None:
        print(f"没有通知 #{args.id}", file=err)
        return 1
    queued, left_out = store.resend_failed(args.id)
    print(f"通知 #{args.id}：重新排队 {queued} 个失败的聊天", file=out)
    if left_out:
        print(f"另有 {left_out} 个未重发：其订阅已结束（屏蔽、移出或退订）", file=out)
    return 0


def notify_cli(
    args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """``skillbot notify send TEXT [--topic T] [--at TIME] [--wait]``; ``notify status [ID]``."""
    out, err = out or sys.stdout, err or sys.stderr
    store = Store()
    try:
        if args.notify_command == "send":
            return _send(store, args, out, err)
        if args.notify_command == "resend":
            return _resend(store, args, out, err)
        return _status(store, args, out, err)
    finally:
        store.close()
