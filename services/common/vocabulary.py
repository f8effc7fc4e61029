"""The campaign's fixed vocabulary (contract §1): codes in English, labels in Chinese."""

TARGET_CATEGORIES = {
    "work_object": "工作对象",
    "service_object": "服务对象",
    "group_in_difficulty": "困难群体",
    "public_welfare_org": "公益机构",
    "theme_month_contact": "“为民”主题实践月联系单位(户、人)",
}

TARGET_KINDS = {"organization": "单位", "household": "户", "person": "个人"}

# Kinds whose name identifies a private person: never sent on the bus.
PRIVATE_KINDS = {"household", "person"}

SERVICE_TYPES = {
    "visit_condolence": "走访慰问",
    "emergency_relief": "应急救助",
    "emotional_companionship": "情感陪护",
    "health_care": "健康保健",
    "information_consulting": "信息咨询",
    "culture_recreation": "文化娱乐",
    "home_repair": "家政维修",
    "sanitation_cleaning": "卫生清洁",
}

ISSUE_CATEGORIES = {
    "social_assistance": "社会救助",
    "elderly_care": "养老服务",
    "child_welfare": "儿童福利",
    "social_affairs": "社会事务(残疾人、婚姻、殡葬)",
    "community_governance": "基层政权建设和社区治理",
    "social_organizations": "社会组织管理",
    "charity_social_work": "慈善事业和社会工作",
    "other": "其他",
}

BEIJING = "北京市"
BEIJING_DISTRICTS = (
    "东城区", "西城区", "朝阳区", "丰台区", "石景山区", "海淀区", "门头沟区", "房山区",
    "通州区", "顺义区", "昌平区", "大兴区", "怀柔区", "平谷区", "密云区", "延庆区",
)


# Contract §4's events as a person reads them (the console's webhook forms and lists).
EVENT_NAMES = {
    "campaign_created": "结对活动创建", "campaign_updated": "结对活动变更", "unit_registered": "单位登记",
    "unit_deactivated": "单位停用", "pairing_reported": "结对报送", "pairing_withdrawn": "结对撤回",
    "pairing_approved": "结对通过", "pairing_rejected": "结对退回", "pairing_deadline_approaching": "报送截止提醒",
    "pairing_overdue": "逾期未报送", "activity_planned": "志愿服务活动安排",
    "activity_updated": "志愿服务活动变更", "activity_completed": "志愿服务活动完成", "activity_cancelled": "志愿服务活动取消", "department_registered": "司局登记",
    "department_updated": "司局变更", "department_deactivated": "司局停用", "summary_requested": "待交总结",
    "summary_submitted": "总结提交", "summary_overdue": "总结逾期", "issue_forwarded": "问题转办",
    "issue_acknowledged": "问题签收", "issue_answered": "问题答复", "issue_transferred": "问题改转",
    "issue_reopened": "问题重办", "issue_closed": "问题办结", "issue_overdue": "问题逾期",
}
