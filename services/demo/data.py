"""The demo's cast: five units of the ministry, the targets they pair with, what their volunteers
found. Codes get a per-run suffix so the demo can run again on the same system."""
from datetime import datetime, time, timedelta

from services.common import clock

# (code suffix, unit name, party organisation, contact person)
UNITS = [
    ("bgt", "办公厅（演示）", "办公厅党支部", "王丽"),
    ("zcfg", "政策法规司（演示）", "政策法规司党支部", "李强"),
    ("ghcw", "规划财务司（演示）", "规划财务司党支部", "张敏"),
    ("rsj", "人事司（演示）", "人事司党支部", "刘洋"),
    ("fwj", "机关服务局（演示）", "机关服务局党委", "陈静"),
]


def unit_record(code, index):
    _, name, party_org, person = UNITS[index]
    return {"code": code, "name": name, "party_org": party_org, "contact_name": person,
            "contact_phone": f"1380013800{index}", "contact_email": f"{code}@example.org"}


def target(name, category, kind, district, needs, phone="13912345678"):
    return {"name": name, "category": category, "kind": kind, "district": district,
            "address": f"{district}某街道某社区", "contact_name": "赵老师", "contact_phone": phone,
            "needs": needs, "notes": "每月第二个周六开展服务"}


TARGETS = {
    "bgt": target("朝阳区某社区养老驿站", "public_welfare_org", "organization", "朝阳区",
                  ["visit_condolence", "health_care", "culture_recreation"]),
    "zcfg": target("西城区某困难家庭", "group_in_difficulty", "household", "西城区",
                   ["emergency_relief", "home_repair"]),
    "ghcw": target("海淀区某独居老人", "service_object", "person", "海淀区",
                   ["emotional_companionship", "health_care"]),
    "rsj": target("丰台区某儿童福利机构", "public_welfare_org", "organization", "丰台区",
                  ["culture_recreation", "information_consulting"]),
}


def problem(description, category, business_related, resolved_on_site=False):
    return {"description": description, "category": category, "business_related": business_related,
            "resolved_on_site": resolved_on_site}


# What each unit's volunteers found (问题和困难) and heard (意见和呼声).
FINDINGS = {
    "bgt": ([problem("驿站护理员不足，失能老人照护困难", "elderly_care", True),
             problem("楼道扶手松动", "other", False, resolved_on_site=True)],
            ["希望志愿者每月固定时间来"]),
    "zcfg": ([problem("临时救助申请流程不清楚，家庭不知如何申请", "social_assistance", True)],
             ["希望帮助了解救助政策"]),
    "ghcw": ([problem("老人希望有人定期陪同就医", "other", True)], ["感谢志愿者的陪伴"]),
    "rsj": ([problem("课外辅导志愿者不足", "child_welfare", False)], []),
}


def yesterday_at(hour, minute=0):
    day = clock.now().date() - timedelta(days=1)
    return datetime.combine(day, time(hour, minute), clock.CAMPAIGN_TZ)


def activity(pairing_id, title, service_types):
    return {"pairing_id": pairing_id, "title": title, "service_types": service_types,
            "scheduled_start": clock.iso(yesterday_at(9)), "scheduled_end": clock.iso(yesterday_at(12)),
            "location": "服务对象所在社区", "planned_volunteers": 6}


def completion_report(code, services):
    problems, opinions = FINDINGS[code]
    volunteers = [{"name": f"志愿者{i}", "party_member": i % 2 == 0, "youth": i < 3, "hours": 2.5}
                  for i in range(1, 6)]
    return {"started_at": clock.iso(yesterday_at(9)), "ended_at": clock.iso(yesterday_at(11, 30)),
            "volunteers": volunteers, "services_delivered": services, "beneficiaries": 12,
            "description": "走访服务对象，了解需求并提供服务", "problems": problems, "opinions": opinions}


SUMMARY = {"experience": "提前了解服务对象需求，按需组队。", "shortcomings": "服务频次还不够。",
           "improvements": "建立每月固定服务日。"}
SUMMARY_ISSUE = {"description": "社区缺少助老食堂", "category": "community_governance",
                 "countermeasure": "建议推动社区与周边餐饮企业合作设立助餐点"}
