"""Plausible Chinese names for demo communities and people, drawn from a seeded RNG.

They are made up: no list of real residents or real community committees is used.
"""

import random

_PLACE_STEMS = (
    "尚德",
    "东新",
    "八家",
    "后宰",
    "民乐",
    "崇孝",
    "五星",
    "公园",
    "新城",
    "长乐",
    "韩森",
    "幸福",
    "金花",
    "康乐",
    "万寿",
    "互助",
    "华清",
    "兴庆",
    "朝阳",
    "建工",
    "纺织",
    "东方",
    "黄河",
    "秦川",
    "昆仑",
    "西光",
    "华山",
    "兴华",
    "东元",
    "常青",
    "铁路",
    "永乐",
    "景龙",
    "童家",
    "含元",
    "联志",
    "青龙",
    "昌盛",
    "和平",
    "东关",
    "卫星",
    "顺城",
    "革新",
    "光明",
    "团结",
    "红旗",
    "新兴",
    "育才",
    "安东",
    "广仁",
    "雍村",
    "皇城",
    "西华",
    "北新",
    "东羊",
    "西羊",
    "炮房",
    "太乙",
    "咸宁",
    "乐居",
    "福寿",
    "锦园",
    "秦华",
    "万年",
    "德仁",
    "启新",
    "丰庆",
    "自新",
    "崇德",
    "明德",
)
_PLACE_SUFFIXES = ("路", "街", "巷", "坊", "园", "苑", "里", "村")

# Common surnames, the most frequent listed more than once so they come up more often.
_SURNAMES = (
    "王王王李李李张张张刘刘陈陈杨杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹"
    "彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹"
    "孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔向汤"
)
_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力林鹏宇浩凯颖婷雪琳"
    "晨欣佳嘉俊飞波斌宁慧倩丹玲亮成峰健龙云海鑫瑞博梅兰晓国志新荣燕春东立彬萌阳秦安"
)


def community_names(rng: random.Random, count: int) -> list[str]:
    """``count`` distinct names such as 尚德路社区."""
    pairs = [stem + suffix for stem in _PLACE_STEMS for suffix in _PLACE_SUFFIXES]
    return [place + "社区" for place in rng.sample(pairs, count)]


class PersonNames:
    """Distinct full names: a surname and one or two given characters."""

    def __init__(self, rng: random.Random):
        self._rng = rng
        self._used: set[str] = set()

    def next(self) -> str:
        while True:
            given_length = 2 if self._rng.random() < 0.6 else 1
            given = "".join(self._rng.choice(_GIVEN) for _ in range(given_length))
            name = self._rng.choice(_SURNAMES) + given
            if name not in self._used:
                self._used.add(name)
                return name
