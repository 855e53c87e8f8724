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

# /help: one phone screen.  {username} is the bot's own (getMe), {topics} the notice topics.
HELP = (
    "直接发问题即可，例如：焊工考技师能补多少？\n"
    "快捷命令：/calc 焊工 技师 · /code 6-18-02-04 · /online 电工 · /cy\n"
    "在群里：@{username} 加问题，或回复我的消息。\n"
    "在任意聊天输入 @{username} 焊工 技师，可以把答案发给别人。\n"
    "接收通知：私聊我发送 /subscribe；群里由管理员发送 /subscribe（可选主题：{topics}）。"
    "退订：群里 /unsubscribe，私聊发“退订”。\n"
    "试试这些问题："
)
HELP_EXAMPLES = 3
LINK_UNKNOWN = "抱歉，这个链接打不开（可能有误或已过期）。下面是使用说明："

# Command menus (setMyCommands), one table per scope, in the menu's order.  A command is listed
# only in the scopes where it works; adding one is one line.
PRIVATE_COMMANDS: tuple[tuple[str, str], ...] = (
    ("help", "怎么问、内联查询、订阅通知"),
    ("calc", "补贴标准，如 /calc 焊工 技师"),
    ("code", "职业编码查询，如 /code 6-18-02-04"),
    ("online", "线上培训学时规定，如 /online 电工"),
    ("cy", "创业培训项目编码"),
    ("human", "转人工：请工作人员回答"),
    ("subscribe", "订阅通知（培训目录、报名截止、政策变化）"),
    ("unsubscribe", "退订通知"),
    ("privacy", "隐私：保存什么、保存多久、如何删除"),
    ("forget", "删除关于我的全部记录"),
    ("start", "开始：介绍与示例问题"),
)
GROUP_COMMANDS: tuple[tuple[str, str], ...] = (
    ("help", "怎么问：@我 加问题，或回复我的消息"),
    ("subscribe", "本群订阅通知（群管理员）"),
    ("unsubscribe", "本群退订通知（群管理员）"),
)
# Group administrators: the same, with the topic choices ({topics}).
GROUP_ADMIN_COMMANDS: tuple[tuple[str, str], ...] = (
    ("help", "怎么问：@我 加问题，或回复我的消息"),
    ("subscribe", "本群订阅通知，可加主题：{topics}"),
    ("unsubscribe", "退订全部，或只退某些主题，如 /unsubscribe 创业"),
)
# Staff: the admins' private chats (after the private commands) and the staff group.
STAFF_COMMANDS: tuple[tuple[str, str], ...] = (
    ("notify", "发送通知：/notify [主题] 内容"),
    ("stats", "未答出和被点踩的问题"),
    ("alias", "教一个叫法：/alias 叫法 目录名称；不带参数列出已教的"),
    ("unalias", "删除教过的叫法：/unalias 叫法"),
    ("close", "结束人工（回复转人工消息或在其话题里）"),
)
# /notify is for an admin's private chat only: the staff group's menu leaves it out
STAFF_GROUP_COMMANDS: tuple[tuple[str, str], ...] = (
    ("help", "怎么问"),
    *(command for command in STAFF_COMMANDS if command[0] != "notify"),
)
MENU_BUTTON_LOOKUP = "查询"

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
FEEDBACK_DOWN = "请告诉我们哪里不对"
FEEDBACK_UP_BUTTON = "👍 有帮助"
FEEDBACK_DOWN_BUTTON = "👎 没帮助"
SHARE_BUTTON = "分享"
# 👎 asks what was wrong; the choice at PERSON_CHOICE offers a person (handlers.feedback).
WHAT_WAS_WRONG = "哪里不对？"
WRONG_CHOICES = ("数字不对", "没答到我问的", "想找人工", "其他")
PERSON_CHOICE = 2
FEEDBACK_NOTED = "已记录：{detail}。谢谢！"
ASK_COMMENT = "可以再说一句哪里不对吗？直接回复这条消息即可（可选）。"
COMMENT_PLACEHOLDER = "哪里不对（可选）"
COMMENT_THANKS = "谢谢，已记下，我们会据此改进。"
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
    "个人订阅、转人工记录）；发送 /unsubscribe 只退订通知。"
)
FORGOTTEN = (
    "已删除关于你的全部记录：对话 {conversations} 条、问题记录 {questions} 条、"
    "个人订阅 {subscriptions} 个、转人工记录 {handoffs} 条。之后的提问会从头开始。"
)
FORGET_FAILED = "现在无法删除（数据库暂时不可用），请稍后再发送 /forget。"
NO_UNANSWERED = "暂无未能回答或被点踩的问题。"
UNANSWERED_TITLE = "未能回答 / 被点踩的问题（次数，最近一次）"
FEEDBACK_TITLE = "最近的点踩反馈（问题 — 哪里不对：说明）"
INLINE_OPEN_BOT = "打开机器人提问"
INLINE_OPEN_ANSWER = "在机器人中打开"
PICK_ONE = "请选择："
EMPTY_REPLY = "没有找到相关内容，请换个说法再问。发送 /help 查看能问什么。"

# Notices: the sender's line comes first (SKILLBOT_NOTICE_SENDER), how to stop them last.
NOTICE_OPT_OUT_GROUP = "不想再收到：群管理员发送 /unsubscribe"
NOTICE_OPT_OUT_PRIVATE = "不想再收到：回复“退订”"
OPT_OUT_WORDS = ("退订", "取消订阅", "退订通知")
# The admin's /notify message, edited as delivery goes on ({counts}: bot.render).
NOTIFY_PROGRESS = "通知 #{notice_id}（主题 {topic}）发送中：\n{counts}"
NOTIFY_DONE = "通知 #{notice_id}（主题 {topic}）发送完成：\n{counts}"
NOTIFY_STILL_GOING = (
    "通知 #{notice_id} 仍在发送：\n{counts}\n"
    "（此消息不再更新；查看进度：skillbot notify status {notice_id}）"
)
NOTIFY_NOBODY = "通知 #{notice_id} 没有匹配的订阅（主题 {topic}），不会发送。"
