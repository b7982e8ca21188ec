"""Made-up words for `ombuds seed-synthetic`: names, accounts of what happened, messages.

Nothing here describes a real person or a real event. The accounts are put together
from sentences in the tone of real reports (where, who, what was said and done, what
she did after), so that they are as long and as varied as real ones and read plausibly
on a case page; the Chinese ones are written for the reporters who use ombuds in
Chinese. Each piece is picked with the caller's random generator, so the same seed
always gives the same words.
"""

from __future__ import annotations

import random

FIRST_NAMES = [
    "Ada",
    "Alex",
    "Amira",
    "Ana",
    "Ben",
    "Bo",
    "Carla",
    "Chen",
    "Chloe",
    "Dan",
    "Dara",
    "Eli",
    "Emma",
    "Fatima",
    "Femi",
    "Grace",
    "Hana",
    "Hugo",
    "Ines",
    "Ivan",
    "Jia",
    "Jonas",
    "Kai",
    "Kemal",
    "Lara",
    "Lei",
    "Leo",
    "Lina",
    "Luca",
    "Maya",
    "Mei",
    "Mila",
    "Nadia",
    "Noah",
    "Nora",
    "Omar",
    "Pablo",
    "Priya",
    "Quinn",
    "Rafael",
    "Rosa",
    "Sam",
    "Sara",
    "Sofia",
    "Tariq",
    "Tom",
    "Una",
    "Vera",
    "Wei",
    "Xin",
    "Yara",
    "Yusuf",
    "Zara",
    "Zoe",
]
LAST_NAMES = [
    "Adams",
    "Ahmed",
    "Baker",
    "Brown",
    "Chen",
    "Costa",
    "Da",
    "Silva",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Gupta",
    "Haddad",
    "Hansen",
    "Ito",
    "Jansen",
    "Kim",
    "Kowalski",
    "Larsen",
    "Li",
    "Lopez",
    "Martin",
    "Meyer",
    "Mori",
    "Nguyen",
    "Novak",
    "Okafor",
    "Olsen",
    "Patel",
    "Petrov",
    "Quispe",
    "Rossi",
    "Sato",
    "Schmidt",
    "Singh",
    "Smith",
    "Tanaka",
    "Tran",
    "Wagner",
    "Wang",
    "Weber",
    "Wilson",
    "Wu",
    "Yamamoto",
    "Zhang",
    "Zhao",
]
JOB_TITLES = (
    "Account Executive",
    "Analyst",
    "Customer Support Agent",
    "Designer",
    "Engineer",
    "Field Technician",
    "Finance Officer",
    "Lab Technician",
    "Logistics Coordinator",
    "Marketing Specialist",
    "Nurse",
    "Operations Associate",
    "Project Manager",
    "Recruiter",
    "Research Scientist",
    "Sales Representative",
    "Software Developer",
    "Store Associate",
    "Warehouse Operative",
)
DIVISIONS = ("Sales", "Engineering", "Operations", "Finance", "Research", "Logistics", "Retail", "Support")
COUNTRIES = ("DE", "FR", "US", "CN", "IN", "GB", "BR", "JP")

_PLACES_EN = (
    "at the team offsite",
    "in the hotel bar after the client dinner",
    "in the third-floor meeting room",
    "in the car park behind the warehouse",
    "on the late shift in the lab",
    "at the summer party",
    "in a video call with the whole team",
    "in the break room",
    "on the business trip to the trade fair",
    "in the team chat",
)
_PLACES_ZH = (
    "在团队外出活动时",
    "客户晚宴后在酒店酒吧",
    "在三楼会议室",
    "在仓库后面的停车场",
    "在实验室值夜班时",
    "在年会上",
    "在团队视频会议中",
    "在茶水间",
    "出差参加展会期间",
    "在工作群里",
)
_WHEN_EN = (
    "last Tuesday",
    "in March",
    "on several evenings over the last two months",
    "during the quarterly review week",
    "the night before the product launch",
    "about three weeks ago",
    "on my second day in the team",
    "repeatedly since the reorganisation",
)
_WHEN_ZH = (
    "上周二",
    "三月份",
    "过去两个月里的好几个晚上",
    "季度评审那一周",
    "产品发布前一晚",
    "大约三周前",
    "我入职第二天",
    "重组之后多次",
)
_OPENINGS_EN = (
    "I want to report what happened {place} {when}.",
    "This is about my team lead, and it happened {place} {when}.",
    "I am writing about a colleague's behaviour {place} {when}.",
    "Something happened {place} {when} that I cannot let go of.",
    "I saw what happened to a colleague {place} {when}.",
)
_OPENINGS_ZH = (
    "我想反映{when}{place}发生的事情。",
    "这件事涉及我的组长，发生在{when}{place}。",
    "我想说明一位同事{when}{place}的行为。",
    "{when}{place}发生了一件让我无法释怀的事。",
    "我目睹了{when}{place}一位同事遭遇的事情。",
)
_MIDDLES_EN = (
    "He kept refilling my glass and insisted I stay after everyone else had left.",
    "She made comments about my body in front of the others and laughed when I asked her to stop.",
    "He put his hand on my back and left it there although I moved away twice.",
    "I was told that my contract would not be renewed if I complained.",
    "He sent me messages late at night asking to meet alone.",
    "The manager shouted at him and called him names in front of the customers.",
    "They excluded her from meetings after she raised a concern about safety.",
    "He blocked the door of the meeting room when I tried to leave.",
    "Others in the room saw it and said nothing.",
    "When I asked for help, I was told this is how things are done here.",
    "My shifts were changed without notice after I refused to go to his room.",
    "The jokes about my accent happen in almost every stand-up.",
)
_MIDDLES_ZH = (
    "他一直给我倒酒，坚持让我在其他人离开后留下来。",
    "她当着其他人的面评论我的身材，我请她停下时她却笑了。",
    "他把手放在我背上，我两次躲开他也没有拿开。",
    "有人告诉我，如果我投诉，我的合同就不会续签。",
    "他深夜给我发消息，要求单独见面。",
    "经理当着顾客的面对他大喊大叫并辱骂他。",
    "她提出安全问题后，他们就不再让她参加会议。",
    "我想离开会议室时，他堵住了门。",
    "在场的其他人都看到了，却什么也没说。",
    "我求助时，得到的回答是这里一向如此。",
    "我拒绝去他房间之后，我的班次被临时调整了。",
    "几乎每次站会上都有人拿我的口音开玩笑。",
)
_CLOSINGS_EN = (
    "I have not told anyone else yet.",
    "I would like this to stop, and I do not want him to know it was me.",
    "I can give more details if you write to me here.",
    "I am afraid this will affect my next review.",
    "I think other people in the team have had the same experience.",
    "I wrote down the dates in my notebook.",
)
_CLOSINGS_ZH = (
    "我还没有告诉其他人。",
    "我希望这种情况停止，也不希望他知道是我反映的。",
    "如果你们在这里给我留言，我可以提供更多细节。",
    "我担心这会影响我下一次的绩效评估。",
    "我觉得团队里其他人也有同样的经历。",
    "我在笔记本里记下了日期。",
)

_STAFF_MESSAGES_EN = (
    "Thank you for telling us. Could you say who else was present at the time?",
    "We have started looking into this. You can write to us here at any time.",
    "Is there anything you need from us now to feel safe at work?",
    "We have spoken to the people involved. We will tell you what happens next.",
    "Could you tell us the approximate date of the second incident?",
)
_STAFF_MESSAGES_ZH = (
    "谢谢你告诉我们。你能说一下当时还有谁在场吗？",
    "我们已经开始调查此事。你可以随时在这里给我们留言。",
    "为了让你在工作中感到安全，你现在需要我们提供什么帮助吗？",
    "我们已经和相关人员谈过。我们会告诉你接下来的进展。",
    "你能告诉我们第二次事件的大概日期吗？",
)
_REPORTER_MESSAGES_EN = (
    "Two colleagues from the night shift were there as well.",
    "It happened again yesterday, in the same room.",
    "I would prefer not to be moved to another team.",
    "Thank you. I feel a bit better knowing someone is looking at it.",
    "The second time was in the first week of the month.",
)
_REPORTER_MESSAGES_ZH = (
    "夜班的两位同事当时也在场。",
    "昨天在同一个房间里又发生了一次。",
    "我不希望被调到别的团队。",
    "谢谢。知道有人在处理这件事，我感觉好一些了。",
    "第二次是在月初的第一周。",
)
_FEEDBACK_EN = (
    "Our investigation is under way. We have interviewed the people you named and will write again within a month.",
    "We have taken interim measures: the person concerned no longer works on your shifts.",
)
_FEEDBACK_ZH = (
    "我们的调查正在进行中。我们已经与你提到的人谈过话，一个月内会再联系你。",
    "我们已经采取了临时措施：相关人员不再与你同班。",
)
_NOTES = (
    "Spoke to the second witness; her account matches the report.",
    "Interim measure agreed with the site manager: separate shifts until the decision.",
    "Checked the rota for the dates given; both were on duty.",
    "Asked legal whether the messages can be kept as evidence.",
)
_REASONINGS = (
    "The witnesses' accounts and the messages support the report. The conduct breaches the policy.",
    "The conduct happened as reported and was repeated after a first warning.",
)
_CLOSURE_REASONS = (
    "The reporter asked to withdraw the report after the matter was resolved with her agreement.",
    "What is described concerns a supplier's staff outside the organisation.",
)
_SEARCH_DONE = ("Spoke to the reporter and checked the rota for the dates she gave.",)


def person_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def narrative(rng: random.Random, chinese: bool) -> str:
    """An account of what happened: an opening, two to four sentences, and a closing line."""
    place = rng.choice(_PLACES_ZH if chinese else _PLACES_EN)
    when = rng.choice(_WHEN_ZH if chinese else _WHEN_EN)
    opening = rng.choice(_OPENINGS_ZH if chinese else _OPENINGS_EN).format(place=place, when=when)
    middle = rng.sample(_MIDDLES_ZH if chinese else _MIDDLES_EN, rng.randint(2, 4))
    closing = rng.choice(_CLOSINGS_ZH if chinese else _CLOSINGS_EN)
    return ("" if chinese else " ").join([opening, *middle, closing])


def occurred(rng: random.Random, chinese: bool) -> str:
    return rng.choice(_WHEN_ZH if chinese else _WHEN_EN)


def location(rng: random.Random, chinese: bool) -> str:
    return rng.choice(_PLACES_ZH if chinese else _PLACES_EN)


def contact(rng: random.Random, name: str) -> str:
    return f"{name.split()[0].lower()}.{rng.randint(10, 99)}@mail.example"


def staff_message(rng: random.Random, chinese: bool) -> str:
    return rng.choice(_STAFF_MESSAGES_ZH if chinese else _STAFF_MESSAGES_EN)


def reporter_message(rng: random.Random, chinese: bool) -> str:
    return rng.choice(_REPORTER_MESSAGES_ZH if chinese else _REPORTER_MESSAGES_EN)


def feedback(rng: random.Random, chinese: bool) -> str:
    return rng.choice(_FEEDBACK_ZH if chinese else _FEEDBACK_EN)


def note(rng: random.Random) -> str:
    return rng.choice(_NOTES)


def reasoning(rng: random.Random) -> str:
    return rng.choice(_REASONINGS)


def closure_reason(rng: random.Random) -> str:
    return rng.choice(_CLOSURE_REASONS)


def search_done(rng: random.Random) -> str:
    return rng.choice(_SEARCH_DONE)


def directory_name(index: int) -> str:
    """The name of the directory's person number `index`: the same for every run and every worker."""
    return f"{FIRST_NAMES[index * 7 % len(FIRST_NAMES)]} {LAST_NAMES[index * 13 // 11 % len(LAST_NAMES)]}"
