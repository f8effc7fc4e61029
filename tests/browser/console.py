"""A person at the console, as the browser tests drive it: sign in with the development picker, open
pages, fill and post forms, read what the page shows, take screenshots of the main pages."""
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.helpers import wait_until

# Inputs a browser fills with its own widgets (date pickers); the tests set their value directly.
SET_DIRECTLY = ("date", "datetime-local")


class Console:
    def __init__(self, driver, base, screenshots):
        self.driver = driver
        self.base = base
        self.screenshots = screenshots

    def open(self, path):
        self.driver.get(f"{self.base}/console/{path.lstrip('/')}")
        return self

    def sign_in(self, role, code=""):
        self.driver.delete_all_cookies()
        self.open("signin")
        form = self.driver.find_element(By.ID, "dev-signin")
        Select(form.find_element(By.NAME, "role")).select_by_value(role)
        form.find_element(By.NAME, "code").send_keys(code)
        self.follow(form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        wait_until(lambda: "/signin" not in self.driver.current_url and "/dev-signin" not in self.driver.current_url,
                   message=f"signed in as {role} {code}")

    def form(self, action, key=None):
        selector = f'form[data-action="{action}"]'
        forms = self.driver.find_elements(By.CSS_SELECTOR, selector)
        if key is not None:
            forms = [f for f in forms if f.find_elements(By.CSS_SELECTOR, f'input[name="_key"][value="{key}"]')]
        assert forms, f"no form {action} {key or ''} on {self.driver.current_url}"
        return forms[0]

    def fill(self, action, values, key=None, checks=()):
        """Type `values` ({field name: text}) into the form, tick `checks` ((name, value)), post it."""
        form = self.form(action, key)
        for name, value in values.items():
            element = form.find_element(By.NAME, name)
            if element.tag_name == "select":
                Select(element).select_by_value(value)
            elif element.get_attribute("type") in SET_DIRECTLY:
                self.driver.execute_script("arguments[0].value = arguments[1]", element, value)
            else:
                element.clear()
                element.send_keys(value)
        for name, value in checks:
            form.find_element(By.CSS_SELECTOR, f'input[name="{name}"][value="{value}"]').click()
        self.follow(form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        return self

    def follow(self, element):
        """Click a link or a submit button and wait for the next page to replace this one."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        element.click()
        wait_until(lambda: self._gone(old), message="the next page")
        return self

    def link(self, text):
        return self.follow(self.driver.find_element(By.LINK_TEXT, text))

    @staticmethod
    def _gone(element):
        try:
            element.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:  # Chromium's other way of saying the page was replaced
            if "does not belong to the document" in exc.msg:
                return True
            raise

    def text(self, selector="main"):
        return self.driver.find_element(By.CSS_SELECTOR, selector).text

    def all(self, selector):
        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def field_errors(self, path):
        return [e.text for e in self.all(f'.error[data-field="{path}"]')]

    def done(self):
        """The page after a successful post says so (303 back to the page with `done`)."""
        assert "done=" in self.driver.current_url, self.text()
        return self

    def refreshed_until(self, condition, message, timeout=20):
        """Events fill some pages in a moment later: reload until `condition()` holds."""
        def check():
            self.driver.refresh()
            return condition()
        return wait_until(check, timeout=timeout, interval=0.3, message=message)

    def screenshot(self, name):
        self.screenshots.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(self.screenshots / f"{name}.png"))
