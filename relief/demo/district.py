"""What the demo's fake district is made of: its scales, and the names and words it draws from
(宿豫区's townships and units, common surnames, what visits note and households ask)."""
from __future__ import annotations

from dataclasses import dataclass

SUYU_TOWNSHIPS = ["仰化镇", "大兴镇", "来龙镇", "丁嘴镇", "陆集镇", "关庙镇", "新庄镇", "曹集乡",
                  "侍岭镇", "保安乡", "王官集镇", "晓店镇", "黄墩镇", "顺河街道", "豫新街道", "下相街道",
                  "井头乡", "蔡集镇", "耿车镇", "埠子镇"]
VILLAGE_WORDS = ["王庄", "李圩", "张集", "刘湾", "陈庄", "杨楼", "赵河", "黄桥", "周圩", "吴集", "徐庄", "孙湖",
                 "马庄", "朱桥", "胡集", "郭圩", "何湾", "高庄", "林场", "罗圩", "梁集", "宋庄", "郑楼", "谢湖",
                 "韩庄", "唐集", "冯圩", "于湾", "董庄", "萧河", "程桥", "曹庄", "袁集", "邓圩", "许湾", "傅庄"]
VILLAGE_SUFFIX = ["村", "社区"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红建国建华志强海燕文斌春梅国庆德明学军永红凤英桂芝"
UNITS = ["区委办公室", "区政府办公室", "区人大常委会办公室", "区政协办公室", "区纪委监委", "区委组织部", "区委宣传部",
         "区委统战部", "区委政法委", "区发展和改革局", "区教育局", "区科学技术局", "区工业和信息化局", "区公安分局",
         "区民政局", "区司法局", "区财政局", "区人力资源和社会保障局", "区自然资源局", "区生态环境局", "区住房和城乡建设局",
         "区交通运输局", "区水务局", "区农业农村局", "区商务局", "区文化广电和旅游局", "区卫生健康委员会",
         "区退役军人事务局", "区应急管理局", "区审计局", "区市场监督管理局", "区统计局", "区医疗保障局", "区扶贫办",
         "区供销合作总社", "区总工会", "团区委", "区妇联", "区残联", "区税务局"]
LEADER_TITLES = ["区委副书记", "副区长", "区委常委", "区人大常委会副主任", "区政协副主席"]
NOTES = ["了解家庭收入情况，户主在本地企业务工，收入稳定。", "询问老人身体状况，协调村医上门随访。",
         "孩子上学情况良好，已落实教育资助。", "检查住房安全，屋顶有渗漏，已联系村里维修。", "宣传医保缴费政策，帮助办理慢病卡。",
         "帮助联系养殖技术培训，户主有意扩大养羊规模。", "核实饮水情况，自来水正常。", "送去米面油，了解节日生活安排。",
         "协助申请临时救助，材料已提交民政所。", "讲解小额信贷政策，户主计划申请贷款种植大棚蔬菜。",
         "与村两委研究集体经济项目选址。", "走访村里老党员，听取发展意见。", "查看标准厂房建设进度。",
         "电话询问近况，家中一切正常。", "帮助销售农产品，联系单位食堂采购。"]
DEMANDS = ["希望帮助孩子申请助学金", "屋顶漏雨需要维修", "希望介绍就近务工岗位", "申请办理残疾证", "自来水管老化需要更换",
           "希望得到种植技术指导", "申请低保复核", "希望协调小额贷款", "医药费报销进度咨询", "院内道路需要硬化"]
VILLAGE_NOTES = ["与村两委研究集体经济项目选址。", "走访村里老党员，听取发展意见。", "查看标准厂房建设进度。",
                 "召开村民代表会议，商议光伏项目收益分配。", "对接企业负责人，落实来料加工订单。", "检查秸秆禁烧工作落实情况。"]
PROJECT_NAMES = {"sanlai_yijia": "来料加工点", "standard_factory": "标准厂房", "village_enterprise": "村企共建",
                 "farming": "特色种养基地", "solar": "光伏电站", "other": "农贸市场"}
FUNDING = ["区级财政扶贫资金", "省级专项资金", "帮扶单位自筹", "村企对接投入", "社会捐助"]
BASE_LAT, BASE_LNG = 33.95, 118.33  # 宿豫区
#: where the first 20 townships' villages cluster (WGS-84): inside 宿豫区's outline, so the map's own
#: base layer draws the real district (relief/geo/counties.py)
SUYU_CENTRES = [(33.95, 118.42), (33.95, 118.48), (33.90, 118.42), (33.90, 118.48), (34.00, 118.42),
                (34.00, 118.36), (33.95, 118.36), (34.05, 118.30), (33.90, 118.36), (33.85, 118.48),
                (33.95, 118.54), (33.90, 118.54), (33.85, 118.54), (34.00, 118.48), (34.05, 118.36),
                (34.05, 118.42), (34.05, 118.48), (34.05, 118.24), (34.05, 118.18), (34.10, 118.18)]


@dataclass(frozen=True)
class Scale:
    townships: int
    villages_per_township: int
    weak_villages: int
    household_cadres: int
    households: int
    visits_per_household: float


SCALES = {
    "small": Scale(townships=8, villages_per_township=8, weak_villages=34, household_cadres=100,
                   households=260, visits_per_household=14),
    "district": Scale(townships=20, villages_per_township=20, weak_villages=80, household_cadres=3_850,
                      households=20_000, visits_per_household=36),
    "province": Scale(townships=2_000, villages_per_township=20, weak_villages=8_000, household_cadres=385_000,
                      households=2_000_000, visits_per_household=36),
}
