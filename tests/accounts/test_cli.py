"""flask create-admin."""
from marketplace.accounts import service


def test_create_admin_from_password_file(runner, tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("a very long admin password\n")
    result = runner.invoke(args=["create-admin", "Boss@Example.com", "--password-file", str(secret)])
    assert result.exit_code == 0, result.output
    user = service.authenticate("boss@example.com", "a very long admin password")
    assert user is not None and user.role == "admin"


def test_create_admin_prompts(runner):
    result = runner.invoke(args=["create-admin", "p@example.com"], input="another long password\n" * 2)
    assert result.exit_code == 0, result.output
    assert service.find_user_by_email("p@example.com").is_admin


def test_create_admin_refuses_short_password(runner, tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("short")
    result = runner.invoke(args=["create-admin", "s@example.com", "--password-file", str(secret)])
    assert result.exit_code != 0
    assert "minimal 10" in result.output.lower()
    assert service.find_user_by_email("s@example.com") is None
