"""Names taught by staff, live, end to end: /alias in the staff group answers at once in another
chat (and after a restart), refused from anyone else; ambiguous targets and catalogue names are
refused; /unalias; the 「设为别名」 flow on a hand-off and on /stats."""

from __future__ import annotations

from pathlib import Path

from tests.support.fake_telegram import FakeTelegram
from tests.telegram.conftest import (
    ADMIN_ID,
    OUTSIDER,
    STAFF_CHAT,
    STAFF_MEMBER,
    BotProcess,
    Harness,
)


async def _staff_says(h: Harness, text: str, user_id: int = STAFF_MEMBER) -> str:
    call = await h.ask(STAFF_CHAT, text, user_id=user_id, chat_type="supergroup")
    return call.text


async def test_alias_taught_in_the_staff_group_answers_at_once(staff_harness: Harness) -> None:
    h = staff_harness
    assert "焊工" not in (await h.ask(601, "铁裁缝技师补贴多少")).text.splitlines()[0]
    said = await _staff_says(h, "/alias 铁裁缝 焊工")
    assert "已记住：「铁裁缝」→ 焊工" in said
    assert "焊工 技师（二级）：3850" in (await h.ask(602, "铁裁缝技师补贴多少")).text
    listed = await _staff_says(h, "/alias")
    assert f"铁裁缝 → 焊工（{STAFF_MEMBER}" in listed
    taught = h.services.people.taught()[0]
    assert (taught.taught_by, taught.entry_key) == (str(STAFF_MEMBER), "q6180204")
    assert "已删除" in await _staff_says(h, "/unalias 铁裁缝")
    assert "焊工" not in (await h.ask(603, "铁裁缝技师补贴多少")).text.splitlines()[0]


async def test_alias_refused_from_anyone_else_and_for_bad_targets(staff_harness: Harness) -> None:
    h = staff_harness
    refused = await h.ask(OUTSIDER, "/alias 铁裁缝 焊工")
    assert "只有工作人员" in refused.text
    assert "只有工作人员" in await _staff_says(h, "/alias 铁裁缝 焊工", user_id=OUTSIDER)
    assert h.services.people.taught() == []
    admin = await h.ask(ADMIN_ID, "/alias 铁裁缝 焊工")  # admins are staff everywhere
    assert "已记住" in admin.text
    ambiguous = await _staff_says(h, "/alias 老钳 钳工")
    assert "多个条目" in ambiguous and "机修钳工" in ambiguous
    assert "已是目录中的名称" in await _staff_says(h, "/alias 车工 焊工")
    assert "没找到" in await _staff_says(h, "/alias 太空人 宇航员")


async def test_set_as_alias_from_a_handoff(staff_harness: Harness) -> None:
    h, fake = staff_harness, staff_harness.fake
    await h.ask(701, "铁皮匠补贴多少")
    await h.ask(701, "转人工")
    header = next(m for m in fake.messages(STAFF_CHAT) if m["text"].startswith("🙋"))
    pick = next(
        b
        for row in header["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"] == "设为别名"
    )
    await h.press(STAFF_CHAT, pick["callback_data"], message=header, user_id=STAFF_MEMBER)
    await h.settle()
    offer = fake.messages(STAFF_CHAT)[-1]
    assert "「铁皮匠」指的是" in offer["text"]
    choices = {
        b["text"]: b["callback_data"]
        for row in offer["reply_markup"]["inline_keyboard"]
        for b in row
    }
    label, tinsmith = next(iter(choices.items()))  # the closest entry the bot offers
    outsider = await h.press(STAFF_CHAT, tinsmith, message=offer, user_id=OUTSIDER)
    assert "只有工作人员" in outsider.params.get("text", "")
    await h.press(STAFF_CHAT, tinsmith, message=offer, user_id=STAFF_MEMBER)
    await h.settle()
    assert f"已记住：「铁皮匠」→ {label}" in fake.messages(STAFF_CHAT)[-1]["text"]
    await h.ask(701, "结束人工")
    assert label in (await h.ask(702, "铁皮匠补贴多少")).text.splitlines()[0]
    taught = h.services.people.taught()[0]
    assert taught.name == "铁皮匠" and taught.reason.startswith("设为别名：转人工 #")
    report = {r.text: r for r in h.services.people.unanswered()}
    assert report["铁皮匠补贴多少"].action == "taught"


async def test_stats_offers_set_as_alias_and_ignore(staff_harness: Harness) -> None:
    h, fake = staff_harness, staff_harness.fake
    await h.ask(801, "宇航员补贴多少")
    stats = await h.ask(ADMIN_ID, "/stats")
    labels = [b["text"] for b in stats.buttons()]
    assert "设为别名：宇航员补贴多少" in labels and "忽略" in labels
    ignore = next(b["callback_data"] for b in stats.buttons() if b["text"] == "忽略")
    await h.press(ADMIN_ID, ignore, user_id=ADMIN_ID)
    again = await h.ask(ADMIN_ID, "/stats")
    assert "已忽略" in again.text and not again.buttons()
    assert fake.calls("answerCallbackQuery")


def test_taught_names_survive_a_restart(fake_telegram: FakeTelegram, tmp_path: Path) -> None:
    fake = fake_telegram
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    env = {"SKILLBOT_STAFF_CHAT": str(STAFF_CHAT)}
    bot = BotProcess(fake, url, tmp_path / "bot.log", env=env).start()
    fake.push_message(
        STAFF_CHAT, "/alias 铁裁缝 焊工", user_id=STAFF_MEMBER, chat_type="supergroup"
    )
    fake.wait_for("sendMessage", chat_id=STAFF_CHAT, timeout=20)
    bot.stop()
    bot = BotProcess(fake, url, tmp_path / "bot.log", env=env).start()
    try:
        fake.push_message(901, "铁裁缝技师补贴多少")
        answer = fake.wait_for("sendMessage", chat_id=901, timeout=20)[0]
        assert "3850" in answer.text
    finally:
        bot.stop()
