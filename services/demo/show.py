"""What the demo prints, in Chinese: the steps, the reporting progress, inboxes and the report."""
from services.common.vocabulary import SERVICE_TYPES

STATUS = {"not_reported": "未报送", "reported": "待审核", "approved": "已通过", "rejected": "被退回",
          "withdrawn": "已撤回"}


def out(line=""):
    print(line, flush=True)


def step(title, lines):
    out(f"\n== {title}")
    for line in lines:
        out(f"   - {line}")


def listed(codes, names):
    return "、".join(names.get(code, code) for code in codes) or "无"


def progress(p, names):
    out(f"   结对报送进度（截止 {p['deadline']}）：参加单位 {p['total_units']} 个，已通过 {p['approved']}，"
        f"待审核 {p['pending_review']}，被退回 {p['rejected']}，未报送 {p['not_reported']}")
    out(f"   逾期报送：{listed(p['late'], names)}；尚无有效结对：{listed(p['missing'], names)}")


def inbox(title, page):
    out(f"\n== 通知：{title}（最新 {len(page['items'])} 条）")
    for note in page["items"]:
        read = "已读" if note.get("read_at") else "未读"
        out(f"   [{read}] {note['title']}")


def rate(value):
    return "—" if value is None else f"{value:.0%}"


def report(r, names):
    units, acts, vol, sums, issues = r["units"], r["activities"], r["volunteers"], r["summaries"], r["issues"]
    as_of = (r.get("as_of") or "")[:16].replace("T", " ")
    out(f"\n== 实效统计：{r.get('name') or r['campaign_id']}（数据截至 {as_of}）")
    out(f"   参加单位 {units['total']}，已报送结对 {units['reported']}（按时 {units['reported_on_time']}），"
        f"审核通过 {units['approved']}")
    for row in units.get("by_status", []):
        late = "，逾期" if row["late"] else ""
        out(f"     · {names.get(row['unit_code'], row['unit_code'])}：{STATUS.get(row['status'], row['status'])}"
            f"{late}，收到提醒 {row['reminders']} 次")
    out(f"   活动：完成 {acts['completed']}，计划中 {acts['planned']}，取消 {acts['cancelled']}")
    out(f"   志愿者 {vol['participations']} 人次（党员 {vol['party_members']}，青年 {vol['youth']}），"
        f"服务 {vol['hours']} 小时，受益 {r['beneficiaries']} 人，意见和呼声 {r['opinions']} 条")
    delivered = "，".join(f"{SERVICE_TYPES[k]} {v}" for k, v in r["services"].items() if v)
    out(f"   服务内容：{delivered}")
    p = r["problems"]
    out(f"   发现问题 {p['found']}：现场解决 {p['resolved_on_site']}，涉及业务 {p['business_related']}，"
        f"无人办理 {p['unresolved']}")
    out(f"   活动总结：应交 {sums['requested']}，已交 {sums['submitted']}（按时 {sums['submitted_on_time']}），"
        f"逾期未交 {sums['overdue']}")
    out(f"   问题转办：{issues['forwarded']} 件（待分拣 {issues['triage']}），答复 {issues['answered']}，"
        f"解决 {issues['resolved']}，重办 {issues['reopened']}，办结 {issues['closed']}；"
        f"响应率 {rate(issues['response_rate'])}，解决率 {rate(issues['resolution_rate'])}，"
        f"满意率 {rate(issues['satisfaction_rate'])}")
    for row in r["by_department"]:
        if row["issues"]:
            out(f"     · {row.get('name') or row['department']}：{row['issues']} 件，答复 {row['answered']}，"
                f"解决 {row['resolved']}，满意 {row['satisfied']}，逾期 {row['overdue']}")


def comparison(r, earlier_name):
    before = r["compared_with"]
    out(f"\n== 与上一年度对比（{earlier_name}）")
    out(f"   参加单位：{before['units']['total']} → {r['units']['total']}；"
        f"审核通过：{before['units']['approved']} → {r['units']['approved']}")
    out(f"   完成活动：{before['activities']['completed']} → {r['activities']['completed']}；"
        f"服务小时：{before['volunteers']['hours']} → {r['volunteers']['hours']}")
    out(f"   转办问题：{before['issues']['forwarded']} → {r['issues']['forwarded']}；"
        f"满意率：{rate(before['issues']['satisfaction_rate'])} → {rate(r['issues']['satisfaction_rate'])}")


def next_steps(url, campaign_id, console):
    out("\n== 接下来可以看看")
    if console:
        out(f"   工作台（委员会、单位、司局）：{url}/console/")
    else:
        out(f"   工作台 {url}/console/ 在本系统中尚未提供，可先用下面的接口文档页面")
    out(f"   接口文档（可在线调用）：      {url}/api/v1/docs")
    out(f"   统计报表 Excel：              {url}/api/v1/summary/export_report?campaign_id={campaign_id}")
    out("     例如：curl -o report.xlsx -H \"Authorization: Bearer $(.venv/bin/python -m services.common.auth "
        f"mint --role committee)\" '{url}/api/v1/summary/export_report?campaign_id={campaign_id}'")
    out("   接口说明：docs/interface.md")
