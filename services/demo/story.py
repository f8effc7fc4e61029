"""The campaign, step by step, as the committee, the units and the departments would play it.
Each step calls the public HTTP API only; where a step needs what another service settles from
events, it waits for that condition."""
import uuid
from datetime import date, timedelta

from services.common import clock

from . import data, show
from .client import DemoError, eventually


class Campaign:
    def __init__(self, gateway):
        self.gateway = gateway
        run = uuid.uuid4().hex[:6]
        self.codes = {suffix: f"demo{run}-{suffix}" for suffix, *_ in data.UNITS}
        self.committee = gateway.caller("committee", "直属机关党委")
        self.units = {s: gateway.caller("unit", name, unit=self.codes[s]) for s, name, *_ in data.UNITS}
        self.pairings, self.activities = {}, {}

    def unit_name(self, suffix):
        return self.units[suffix].label

    def register_units(self):
        for index, (suffix, *_) in enumerate(data.UNITS):
            self.committee("pairing", "register_unit", unit=data.unit_record(self.codes[suffix], index))
        show.step("登记参加单位", [f"{self.unit_name(s)}（{self.codes[s]}）" for s in self.codes])

    def create(self):
        deadline = clock.now().date() + timedelta(days=2)
        self.campaign = self.committee("pairing", "create_campaign", campaign={
            "name": f"{deadline.year}年学雷锋结对帮扶志愿服务活动（演示 {self.codes['bgt'][4:10]}）",
            "year": deadline.year, "report_deadline": deadline.isoformat(), "remind_days": 3,
            "unit_codes": list(self.codes.values())})
        show.step("委员会发布专项活动", [f"{self.campaign['name']}，结对报送截止 {deadline}"])

    def report(self, suffix, target):
        pairing = self.units[suffix]("pairing", "report_pairing", campaign_id=self.campaign["id"],
                                     unit_code=self.codes[suffix], target=target)
        self.pairings[suffix] = pairing
        return pairing

    def review(self, suffix, decision, comment=""):
        return self.committee("pairing", "review_pairing", pairing_id=self.pairings[suffix]["id"],
                              decision=decision, comment=comment)

    def pairings_on_time(self):
        for suffix in ("bgt", "zcfg", "ghcw"):
            self.report(suffix, data.TARGETS[suffix])
        self.review("bgt", "approve")
        self.review("zcfg", "approve")
        self.review("ghcw", "reject", "服务对象联系电话无法接通，请核实后重新报送")
        self.report("ghcw", dict(data.TARGETS["ghcw"], contact_phone="13912345679"))
        self.review("ghcw", "approve")
        sent = self.committee("pairing", "check_deadlines")
        show.step("结对报送与审核", [
            "办公厅、政策法规司按时报送，审核通过",
            "规划财务司首次报送被退回（联系电话无法接通），更正后重新报送，审核通过",
            f"截止前提醒：本次检查发出提醒 {sent.get('reminded', 0)} 条（人事司、机关服务局尚未报送）"])
        show.progress(self.committee("pairing", "reporting_progress", campaign_id=self.campaign["id"]),
                      self.names())

    def pairings_after_deadline(self):
        past = clock.now().date() - timedelta(days=1)
        self.committee("pairing", "update_campaign", campaign_id=self.campaign["id"],
                       changes={"report_deadline": past.isoformat(), "year": past.year})
        late = self.report("rsj", data.TARGETS["rsj"])
        self.review("rsj", "approve")
        sent = self.committee("pairing", "check_deadlines")
        show.step("截止之后", [
            f"（演示：把截止日期改为 {past}，模拟报送期已过）",
            f"人事司逾期补报（late = {late['late']}），审核通过",
            f"逾期检查：本次发出逾期通知 {sent.get('overdue', 0)} 条（机关服务局始终未报送）"])
        show.progress(self.committee("pairing", "reporting_progress", campaign_id=self.campaign["id"]),
                      self.names())

    def names(self):
        return {self.codes[s]: self.unit_name(s) for s in self.codes}

    def activities_done(self):
        titles = {"bgt": "走访养老驿站", "zcfg": "困难家庭上门帮扶", "ghcw": "陪伴独居老人", "rsj": "儿童福利机构文化活动"}
        lines = []
        for suffix, title in titles.items():
            services = data.TARGETS[suffix]["needs"][:2]
            planned = self.units[suffix]("activity", "plan_activity",
                                         activity=data.activity(self.pairings[suffix]["id"], title, services))
            self.activities[suffix] = self.units[suffix](
                "activity", "complete_activity", activity_id=planned["id"],
                report=data.completion_report(suffix, services))
            found = len(data.FINDINGS[suffix][0])
            lines.append(f"{self.unit_name(suffix)}：{title}，5 名志愿者，发现问题 {found} 个")
        spare = self.units["zcfg"]("activity", "plan_activity", activity=data.activity(
            self.pairings["zcfg"]["id"], "入户维修", ["home_repair"]))
        self.units["zcfg"]("activity", "cancel_activity", activity_id=spare["id"], reason="因降雪改期")
        show.step("志愿服务活动", lines + ["政策法规司另一次入户维修因降雪取消"])

    def summary_request(self, suffix):
        def find():
            page = self.units[suffix]("summary", "list_summaries", campaign_id=self.campaign["id"],
                                      unit_code=self.codes[suffix])
            return page["items"][0] if page["items"] else None
        return eventually(find, f"{self.unit_name(suffix)}的活动总结通知")

    def summaries(self):
        requests = {suffix: self.summary_request(suffix) for suffix in self.activities}
        self.units["bgt"]("summary", "submit_summary", summary_id=requests["bgt"]["id"],
                          summary=dict(data.SUMMARY, business_issues=[data.SUMMARY_ISSUE]))
        self.units["zcfg"]("summary", "submit_summary", summary_id=requests["zcfg"]["id"], summary=data.SUMMARY)
        self.requests = requests
        show.step("活动总结", ["每次活动完成后，系统自动向单位党组织发出总结通知（4 份）",
                             "办公厅提交总结，并提出一条业务问题（社区缺少助老食堂）",
                             "政策法规司按时提交总结",
                             "规划财务司、人事司的总结尚未提交"])

    def issue(self, unit_suffix, description):
        def find():
            page = self.committee("summary", "list_issues", campaign_id=self.campaign["id"],
                                  unit_code=self.codes[unit_suffix])
            return next((i for i in page["items"] if i["description"] == description), None)
        return eventually(find, f"问题“{description}”的转办")

    def department(self, code):
        return self.gateway.caller("department", self.department_names.get(code, code), department=code)

    def departments(self):
        """The departments' names, for the text (the seeded ones and any the committee added)."""
        page = self.committee("summary", "list_departments", limit=200)
        self.department_names = {d["code"]: d["name"] for d in page["items"]}

    def act(self, issue, method, **arguments):
        who = self.department(issue["department"]) if issue["department"] else self.committee
        return who("summary", method, issue_id=issue["id"], **arguments)

    def issues(self):
        self.departments()
        care, relief = self.answered_at_once(), self.sent_back()
        moved = self.triaged(care["department"])
        self.care_department, self.care_issues = care["department"], (care["id"], moved["id"])
        later = self.issue("bgt", data.SUMMARY_ISSUE["description"])
        name = self.department_names.get
        show.step("问题转办", [
            f"“{care['description']}” → {name(care['department'])}：确认、答复（已解决），单位评价满意，办结",
            f"“{relief['description']}” → {name(relief['department'])}：首次答复未解决，单位评价不满意，"
            "退回重办；再次答复已解决，单位评价满意，办结",
            f"“{moved['description']}” 类别为“其他”，进入委员会分拣，转给{name(moved['department'])}，已确认待答复",
            f"“{later['description']}”（来自总结）已转{name(later['department'])}，尚未确认"])

    def answered_at_once(self):
        care = self.issue("bgt", data.FINDINGS["bgt"][0][0]["description"])
        self.act(care, "acknowledge_issue")
        self.act(care, "answer_issue", answer={"measures": "已协调街道增派两名护理员", "resolved": True})
        self.units["bgt"]("summary", "rate_issue", issue_id=care["id"], rating={"satisfied": True})
        return care

    def sent_back(self):
        """An unsatisfied rating sends the issue back to its department (重办)."""
        relief = self.issue("zcfg", data.FINDINGS["zcfg"][0][0]["description"])
        self.act(relief, "answer_issue", answer={"measures": "已转区民政局核查", "resolved": False})
        self.units["zcfg"]("summary", "rate_issue", issue_id=relief["id"],
                           rating={"satisfied": False, "comment": "答复未说明办理时限"})
        self.act(relief, "answer_issue", answer={"measures": "已指导家庭提交临时救助申请，7 个工作日内办结",
                                                 "resolved": True})
        self.units["zcfg"]("summary", "rate_issue", issue_id=relief["id"], rating={"satisfied": True})
        return relief

    def triaged(self, department):
        """Category `other` reaches no department: the committee routes it by hand."""
        triage = self.issue("ghcw", data.FINDINGS["ghcw"][0][0]["description"])
        moved = self.committee("summary", "transfer_issue", issue_id=triage["id"], department=department,
                               reason="属养老服务范畴")
        self.act(moved, "acknowledge_issue")
        return moved

    def late_summary(self):
        """A summary is late only once its due day has passed; the demo fast-forwards the deadline
        check where the system allows it (ALLOW_CLOCK_OVERRIDE), else says what would happen."""
        due = max(clock.parse(r["due_at"]) for r in self.requests.values())
        try:
            sent = self.committee("summary", "check_deadlines", now=clock.iso(due + timedelta(days=1)))
        except DemoError as err:
            if err.status != 403:
                raise
            sent = None
        self.units["ghcw"]("summary", "submit_summary", summary_id=self.requests["ghcw"]["id"],
                           summary=data.SUMMARY)
        if sent is None:
            lines = ["本系统未开启 ALLOW_CLOCK_OVERRIDE，演示不能快进时间：总结到期后，定时检查会发出逾期通知",
                     "规划财务司提交总结；人事司的总结仍未提交"]
        else:
            lines = [f"（演示：以总结到期后一天的时间做逾期检查）发出总结逾期通知 {sent['summary_overdue']} 条、"
                     f"问题逾期通知 {sum(sent['issue_overdue'].values())} 条",
                     "规划财务司收到逾期通知后补交总结；人事司的总结仍未提交（逾期）"]
        show.step("总结逾期", lines)
        return sent is not None

    def carry_over(self):
        next_year = clock.now().year + 1
        self.next = self.committee("pairing", "carry_over_campaign", campaign_id=self.campaign["id"], campaign={
            "name": f"{next_year}年学雷锋结对帮扶志愿服务活动（演示 {self.codes['bgt'][4:10]}）",
            "year": next_year, "report_deadline": date(next_year, 3, 9).isoformat(),
            "unit_codes": list(self.codes.values())})

        def carried():
            items = self.committee("pairing", "list_pairings", campaign_id=self.next["id"])["items"]
            return items if len(items) == len(self.pairings) else None
        pairings = eventually(carried, "结转的结对")
        for pairing in pairings[:3]:
            self.committee("pairing", "review_pairing", pairing_id=pairing["id"], decision="approve")
        show.step("结转到下一年度", [
            f"{self.next['name']}（carried_over_from = {self.next['carried_over_from']}）",
            f"上一年度审核通过的 {len(pairings)} 个结对自动结转为“已报送”，委员会已审核通过其中 3 个",
            "机关服务局仍需报送结对对象"])
