"""The bot's own chat texts (plain text; escape before putting them into HTML).

No figure, rate or rule of the notice lives here: every such thing comes from the engine.
"""

from __future__ import annotations

NOTICE_NAME = "淮安市2024年政府补贴性职业技能培训（淮人社发〔2024〕22号）"

GREETING = (
    "你好！我可以回答关于" + NOTICE_NAME + "的问题：\n"
    "• 某个职业（工种）某个等级的培训补贴标准\n"
    "• 职业编码查询、线上培训学时规定、创业培训项目\n\n"
    "直接用中文提问即可，也可以点下面的示例问题："
)

HELP_INTRO = (
    "直接发送问题即可，例如职业名称加等级。快捷命令：\n"
    "/calc 职业 等级 — 查补贴标准\n"
    "/code 职业编码 — 查编码对应的职业\n"
    "/online 职业 — 线上培训学时规定\n"
    "/cy — 创业培训项目编码\n"
    "在群里请 @我 或回复我的消息提问；在任意聊天输入 @机器人用户名 加问题可内联查询。"
)

# (command, description) for setMyCommands; the order is the menu's order.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "开始：介绍与示例问题"),
    ("help", "能问什么"),
    ("calc", "补贴标准，如 /calc 焊工 技师"),
    ("code", "职业编码查询，如 /code 6-18-02-04"),
    ("online", "线上培训学时规定，如 /online 电工"),
    ("cy", "创业培训项目编码"),
    ("privacy", "隐私：保存什么、保存多久、如何删除"),
)

USAGE = {
    "calc": "用法：/calc 职业 等级，例如 /calc 焊工 技师",
    "code": "用法：/code 职业编码，例如 /code 6-18-02-04",
    "online": "用法：/online 职业，例如 /online 电工",
}

UNKNOWN_COMMAND = "没有这个命令。发送 /help 查看能问什么。"
APOLOGY = "抱歉，处理这条消息时出错了，请稍后再试。"
FLOOD_NOTICE = "消息太多太快了，请稍等片刻再提问。"
BUTTON_EXPIRED = "这个按钮已失效，请重新提问。"
FEEDBACK_UP = "谢谢反馈！"
FEEDBACK_DOWN = "已记录，我们会改进这个回答。"
FEEDBACK_UP_BUTTON = "👍 有帮助"
FEEDBACK_DOWN_BUTTON = "👎 没帮助"
ADMIN_ONLY = "这个命令仅限管理员使用。"
ADMIN_PRIVATE_ONLY = "请在与机器人的私聊中使用这个命令（统计中的问题原文不宜在群里公开）。"

PRIVACY = (
    "隐私说明\n"
    "保存什么：\n"
    "• 聊天和用户的数字 id（不保存姓名、电话）；\n"
    "• 对话的最近话题（如刚问过的职业、等级），用于理解“那高级呢”这类追问；\n"
    "• 没能回答或被点 👎 的问题原文和时间，用于改进回答；\n"
    "• 订阅通知的聊天及其主题；\n"
    "• 转人工咨询时，工作人员处理所需的内容，处理完即不再保留。\n"
    "保存多久：问题记录和闲置的对话保存 {days} 天后自动删除；订阅保存到退订为止。\n"
    "如何删除：发送 /forget，立即删除关于你的全部记录（对话、问题记录和反馈、"
    "个人订阅）；发送 /unsubscribe 只退订通知。"
)
FORGOTTEN = (
    "已删除关于你的全部记录：对话 {conversations} 条、问题记录 {questions} 条、"
    "个人订阅 {subscriptions} 个。之后的提问会从头开始。"
)
FORGET_FAILED = "现在无法删除（数据库暂时不可用），请稍后再发送 /forget。"
NO_UNANSWERED = "暂无未能回答或被点踩的问题。"
UNANSWERED_TITLE = "未能回答 / 被点踩的问题（次数，最近一次）"
INLINE_OPEN_BOT = "打开机器人提问"
PICK_ONE = "请选择："
EMPTY_REPLY = "没有找到相关内容，请换个说法再问。发送 /help 查看能问什么。"
