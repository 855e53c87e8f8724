"""Chat texts of hand-offs and taught names (plain text; escape before putting them into HTML).

No figure or contact office of the notice lives here: those come from the engine.
"""

from __future__ import annotations

HANDOFF_BUTTON = "🙋 转人工"
HANDOFF_OPENED = (
    "已为你转接工作人员，请稍候。接下来你发的消息都会转给工作人员；"
    "发送「结束人工」或 /close 可随时结束，之后由机器人继续回答。"
)
HANDOFF_ALREADY_OPEN = "你已经在人工服务中了，直接发消息即可；发送「结束人工」可结束。"
HANDOFF_NO_STAFF = "目前没有在线的人工服务。可以直接联系通知中的单位："
HANDOFF_GROUP = "转人工请私聊我，发送 /human。"
HANDOFF_CLOSED_WORKER = "人工服务已结束，接下来由机器人继续为你解答。"
HANDOFF_TIMEOUT_WORKER = "抱歉，工作人员暂时没能回复。可以直接联系通知中的单位："
HANDOFF_STAFF_REPLY = "👤 工作人员回复"
HANDOFF_NOT_OPEN = "这次人工服务已经结束了。"
HANDOFF_NOTHING_TO_CLOSE = "现在没有进行中的人工服务。"
DATABASE_AWAY = "数据库暂时不可用，请稍后再试。"

STAFF_HEADER = "🙋 转人工 #{id}"
STAFF_WHO = "用户：{name}（id {user_id}）"
STAFF_TRIGGER = "触发：{trigger}"
STAFF_RECENT = "最近的对话："
STAFF_NO_RECENT = "（此前没有提问）"
STAFF_HOW = "回复这条消息（或在本话题内发言）即转给用户；/close 结束。"
STAFF_CLOSED = "✅ 转人工 #{id} 已结束（{by}）。"
STAFF_TIMED_OUT = "⏰ 转人工 #{id} 超时无人回复，已请用户联系通知中的单位。"
STAFF_FORGOTTEN = "用户已删除记录，本次转人工结束。"
STAFF_NOT_RELAYED = "未能转给用户：{error}"
STAFF_NO_HANDOFF = "这条消息不属于进行中的转人工，没有转给任何人（要问机器人请 @ 它）。"
STAFF_TOPIC = "{name} · {user_id}"
CLOSE_BUTTON = "结束"
TRIGGER_WORDS = "用户发送：{text}"
TRIGGER_COMMAND = "/human 命令"
TRIGGER_BUTTON = "「转人工」按钮"
TRIGGER_FEEDBACK = "👎 想找人工：{question}"
ASKED, ANSWERED = "问：", "答："

ALIAS_BUTTON = "设为别名"
IGNORE_BUTTON = "忽略"
STAFF_ONLY = "抱歉，这个操作只有工作人员可以使用。"
ALIAS_USAGE = (
    "用法：/alias 叫法 目标（如 /alias 铁裁缝 焊工），/alias 列出已教的叫法；/unalias 叫法 删除。"
)
ALIAS_TAUGHT = "已记住：「{name}」→ {entry}（立即生效）。"
ALIAS_KNOWN = "「{name}」已是目录中的名称或别名，不能再设为其他条目的别名。"
ALIAS_NOT_FOUND = "没找到「{target}」对应的条目，请换个写法（名称、别名或编码）。"
ALIAS_AMBIGUOUS = "「{target}」对应多个条目，请写得更具体：{candidates}"
ALIAS_NONE = "还没有教过的叫法。"
ALIAS_LIST = "已教的叫法（叫法 → 条目，谁教的，何时）："
ALIAS_REMOVED = "已删除叫法「{name}」。"
ALIAS_NOT_TAUGHT = "没有教过叫法「{name}」。"
ALIAS_PICK = "「{phrase}」指的是哪个条目？点一下即设为别名："
ALIAS_NO_PHRASE = "这里没有可设为别名的叫法，请用 /alias 叫法 目标。"
ALIAS_NO_CANDIDATES = "没找到「{phrase}」可能指的条目，请用 /alias {phrase} 目标。"
IGNORED = "已标记为忽略：{text}"

WEB_APP_BUTTON = "查询"
